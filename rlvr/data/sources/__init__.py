"""Converters from each public set's released layout to raw records; importing registers them all."""

from rlvr.data.sources import (  # noqa: F401  (each module registers its converters)
    generic,
    medbullets,
    medframeqa,
    medmcqa,
    medqa,
    medxpertqa,
    mmlu,
    mmmu,
    omnimedvqa,
    pathvqa,
    pmc_vqa,
    pubmedqa,
    slake,
    supergpqa,
    vqa_rad,
)
from rlvr.data.sources.registry import SOURCES, Source, get_source, register_source

__all__ = ["SOURCES", "Source", "get_source", "register_source"]
