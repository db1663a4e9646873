"""The scan store: SQLAlchemy tables for scan runs, watermarks, scores and events, with schema versions and locks."""

from forecaster.store.schema import SCHEMA_VERSION
from forecaster.store.store import EVENT_COLUMNS, SCORE_COLUMNS, ScanStore, utc_naive

__all__ = ["EVENT_COLUMNS", "SCHEMA_VERSION", "SCORE_COLUMNS", "ScanStore", "utc_naive"]
