"""python -m checker.slots: rebuild the shipped city index (and its other names) after its inputs changed (see ``gazetteer``)."""

from .gazetteer import SHIPPED_INDEX, SHIPPED_OTHER_NAMES, write_shipped_index

write_shipped_index()
print(f"wrote {SHIPPED_INDEX} and {SHIPPED_OTHER_NAMES}")
