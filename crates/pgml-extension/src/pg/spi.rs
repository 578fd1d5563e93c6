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

/// The first row's first two columns when the row exists and both are non-NULL.
pub fn read_pair<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    sql: &str,
    args: &[DatumWithOid<'_>],
) -> Result<Option<(A, B)>> {
    Ok(match read_two::<A, B>(sql, args)? {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    })
}

/// The first row's first three columns when the row exists and all are non-NULL.
pub fn read_triple<A, B, C>(sql: &str, args: &[DatumWithOid<'_>]) -> Result<Option<(A, B, C)>>
where
    A: FromDatum + IntoDatum,
    B: FromDatum + IntoDatum,
    C: FromDatum + IntoDatum,
{
    Spi::connect(|client| {
        match client
            .select(sql, Some(1), args)?
            .first()
            .get_three::<A, B, C>()
        {
            Ok((Some(a), Some(b), Some(c))) => Ok(Some((a, b, c))),
            Ok(_) | Err(SpiError::InvalidPosition) => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
}
