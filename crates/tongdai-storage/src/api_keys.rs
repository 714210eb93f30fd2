//! Open311 API keys, stored as hashes.
