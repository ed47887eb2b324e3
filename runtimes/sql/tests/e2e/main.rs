//! End-to-end tests of the `sql` binary against private PostgreSQL and MariaDB servers started
//! by this binary (one instance of each, shared by its tests), with real SIGKILLs.

mod cdc;
mod cdc_types;
mod iggy;
mod polling;
mod servers;
mod support;
