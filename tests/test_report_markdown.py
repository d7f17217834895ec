from checker.report import render_markdown, report_to_dict
from checker.types import Claim, Discrepancy, Document, ModelInfo, Report


def test_document_text_is_inert_in_markdown():
    payload = "<img src=x onerror=alert(1)> `x` [a](http://example.invalid) | cell"
    doc = Document(id="a<b>", path="a.txt", raw=payload, language="en")
    claim = Claim(id="a<b>#1", doc_id="a<b>", text=payload, start=0, end=len(payload))
    item = Discrepancy(id="d1", kind="unmatched", doc_a="a<b>", doc_b=None, claim_a=claim.id, claim_b=None,
                       text_a=payload, text_b=None, values_a=["`v`"], score=0.25)
    report = Report(documents=[doc], claims=[claim], dropped=[], groups=[], pairs=[], discrepancies=[item],
                    models=[ModelInfo("encoder", "enc", "1", True)])
    markdown = render_markdown(report, report_to_dict(report, generated_at="t"))
    assert "<img" not in markdown and "<b>" not in markdown
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown
    assert "\\`x\\`" in markdown and "\\[a\\]" in markdown and "\\| cell" in markdown
