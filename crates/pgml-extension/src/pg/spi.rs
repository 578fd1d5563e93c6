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

/// The first three columns of the first row.
pub fn read_three<A, B, C>(
    sql: &str,
    args: &[DatumWithOid<'_>],
) -> Result<(Option<A>, Option<B>, Option<C>)>
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
            Ok(v) => Ok(v),
            Err(SpiError::InvalidPosition) => Ok((None, None, None)),
            Err(e) => Err(e.into()),
        }
    })
}

/// The first row's first three columns when the row exists and all are non-NULL.
pub fn read_triple<A, B, C>(sql: &str, args: &[DatumWithOid<'_>]) -> Result<Option<(A, B, C)>>
where
    A: FromDatum + IntoDatum,
    B: FromDatum + IntoDatum,
    C: FromDatum + IntoDatum,
{
    Ok(match read_three::<A, B, C>(sql, args)? {
        (Some(a), Some(b), Some(c)) => Some((a, b, c)),
        _ => None,
    })
}

/// Runs `query` through a cursor and hands every row to `each`, `batch_rows` rows at a time,
/// freeing each batch once it is read. pgrx keeps every fetched tuple table until the SPI
/// connection ends, so reading a million-row snapshot kept ~250 MB of tuples alive beside the
/// matrix built from them (benches/train_memory.rs).
pub fn for_each_row(
    query: &str,
    batch_rows: i64,
    mut each: impl FnMut(&pgrx::spi::SpiHeapTupleData<'_>) -> Result<()>,
) -> Result<()> {
    Spi::connect(|client| {
        let mut cursor = client.open_cursor(query, &[]);
        loop {
            pg_sys::check_for_interrupts!();
            let batch = cursor.fetch(batch_rows)?;
            if batch.is_empty() {
                return Ok(());
            }
            for row in batch {
                each(&row)?;
            }
            // SAFETY: the loop consumed the batch and `each` returns owned values, so nothing
            // refers to the tuple table any more; SPI_tuptable is the table this fetch made
            // (pgrx clears it before each fetch), and SPI frees it in the connection's context.
            unsafe {
                if !pg_sys::SPI_tuptable.is_null() {
                    pg_sys::SPI_freetuptable(pg_sys::SPI_tuptable);
                    pg_sys::SPI_tuptable = std::ptr::null_mut();
                }
            }
        }
    })
}
