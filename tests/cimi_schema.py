"""Validate an XML document against DMTF's CIMI 1.x schema (DSP8009 1.0.2, in tests/data/cimi),
as every XML response of the CIMI front end must."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from lxml import etree

XSD: Final = Path(__file__).parent / "data" / "cimi" / "dsp8009-1.0.2.xsd"


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def validate(xml: bytes) -> None:
    """Raise AssertionError with lxml's error log unless ``xml`` is valid CIMI."""
    schema = _schema()
    document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    if not schema.validate(document):
        raise AssertionError(
            f"not valid against DSP8009 1.0.2:\n{schema.error_log}\n{xml.decode()}"
        )
