"""Mapping files: load and validate them (``load_mapping``), run them (``Mapper``)."""

from pipeline.mapping.apply import Mapper
from pipeline.mapping.loader import MappingErrors, load_mapping, load_mappings
from pipeline.mapping.spec import FieldRule, MappingSpec, Options, SystemRef

__all__ = ["FieldRule", "Mapper", "MappingErrors", "MappingSpec", "Options", "SystemRef", "load_mapping",
           "load_mappings"]
