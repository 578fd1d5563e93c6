//! Every function SQL can call, one module per feature. Functions here only convert arguments,
//! call the core or the catalog, and convert the result.

pub mod deploy;
pub mod distributed;
pub mod grant;
pub mod load_dataset;
pub mod predict;
pub mod snapshot;
pub mod train;
pub mod train_joint;
pub mod transfer;
pub mod version;
pub mod visibility;
