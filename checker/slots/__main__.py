"""python -m checker.slots: rebuild the shipped city index after its inputs changed (see ``gazetteer``)."""

from .gazetteer import SHIPPED_INDEX, write_shipped_index

write_shipped_index()
print(f"wrote {SHIPPED_INDEX}")
