//! Read-only SPI helpers. pgrx's `Spi::get_one_with_args` runs queries as updates, which assigns a
//! transaction id: wasteful on every predict, and an error on a hot standby. Catalog reads go
//! through here instead.

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::SpiError;

use crate::error::Result;

/// The first column of the first row, None when there is no row or it is NULL.
pub fn read_one<T: FromDatum + IntoDatum>(
    sql: &str,
    args: &[DatumWithOid<'_>],
) -> Result<Option<T>> {
    Spi::connect(
        |client| match client.select(sql, Some(1), args)?.first().get_one::<T>() {
            Ok(v) => Ok(v),
            Err(SpiError::InvalidPosition) => Ok(None),
            Err(e) => Err(e.into()),
        },
    )
}

/// The first two columns of the first row.
pub fn read_two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    sql: &str,
    args: &[DatumWithOid<'_>],
) -> Result<(Option<A>, Option<B>)> {
    Spi::connect(
        |client| match client.select(sql, Some(1), args)?.first().get_two::<A, B>() {
            Ok(v) => Ok(v),
            Err(SpiError::InvalidPosition) => Ok((None, None)),
            Err(e) => Err(e.into()),
        },
    )
}
