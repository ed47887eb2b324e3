//! Tests against a real Iggy server, gated on `CONNECT_TEST_IGGY_ADDRESS`.
