"""Synthetic clickstream in the exact format of the REES46 Kaggle dataset, for local runs and tests.

The real files are large (110M rows for Oct-Nov 2019); this package writes the same nine columns
in the same textual style with the published shape of the data. A catalogue and a user pool are
drawn once from the seed; each day is then drawn from its own seed, written and dropped, so one
file per day or per month gives the same rows and memory stays flat.
"""

from synthetic_events.config import GeneratorConfig
from synthetic_events.generator import generate

__all__ = ["GeneratorConfig", "generate"]
