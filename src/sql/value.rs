//! Values crossing the store boundary: what a statement takes ([`ToSql`],
//! [`Arg`]) and what a row gives ([`FromSql`], [`ValueRef`]), the same on both
//! backends. Integers are 64-bit, text is UTF-8, blobs are bytes, times are text.

use super::Error;

/// A value read from a row, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        }
    }
}

/// A value given to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// An owned value, either way.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// SQL's NULL as a parameter.
#[derive(Debug, Clone, Copy)]
pub struct Null;

/// A Rust value a statement can take.
pub trait ToSql {
    fn to_arg(&self) -> Result<Arg<'_>, Error>;
}

/// A Rust value a column can be read as.
pub trait FromSql: Sized {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error>;
}

fn mismatch<T>(value: ValueRef<'_>, wanted: &str) -> Result<T, Error> {
    Err(Error::Conversion(format!(
        "cannot read {} as {wanted}",
        value.kind()
    )))
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        (**self).to_arg()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        match self {
            Some(v) => v.to_arg(),
            None => Ok(Arg::Null),
        }
    }
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        (**self).to_arg()
    }
}

impl ToSql for Null {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Null)
    }
}

macro_rules! integer_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_arg(&self) -> Result<Arg<'_>, Error> {
                i64::try_from(*self)
                    .map(Arg::Integer)
                    .map_err(|_| Error::Conversion(format!("{} does not fit in 64 bits", self)))
            }
        }
        impl FromSql for $t {
            fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
                match value {
                    ValueRef::Integer(i) => <$t>::try_from(i).map_err(|_| {
                        Error::Conversion(format!("{i} is out of range for {}", stringify!($t)))
                    }),
                    other => mismatch(other, "an integer"),
                }
            }
        }
    )*};
}
integer_to_sql!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl ToSql for bool {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Integer(i64::from(*self)))
    }
}

impl FromSql for bool {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Integer(i) => Ok(i != 0),
            other => mismatch(other, "a boolean"),
        }
    }
}

impl ToSql for f64 {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Real(*self))
    }
}

impl FromSql for f64 {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Integer(i) => Ok(i as f64),
            other => mismatch(other, "a real"),
        }
    }
}

impl ToSql for str {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Text(self))
    }
}

impl ToSql for String {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Text(self))
    }
}

impl FromSql for String {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Text(s) => Ok(s.to_owned()),
            other => mismatch(other, "text"),
        }
    }
}

impl ToSql for [u8] {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Blob(self))
    }
}

impl ToSql for Vec<u8> {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(Arg::Blob(self))
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            other => mismatch(other, "a blob"),
        }
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_sql(other).map(Some),
        }
    }
}

impl ToSql for Value {
    fn to_arg(&self) -> Result<Arg<'_>, Error> {
        Ok(match self {
            Value::Null => Arg::Null,
            Value::Integer(i) => Arg::Integer(*i),
            Value::Real(f) => Arg::Real(*f),
            Value::Text(s) => Arg::Text(s),
            Value::Blob(b) => Arg::Blob(b),
        })
    }
}

impl FromSql for Value {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, Error> {
        Ok(match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Integer(i)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

/// The parameters of one statement.
pub trait Params {
    fn args(&self) -> Result<Vec<Arg<'_>>, Error>;
}

impl Params for &[&dyn ToSql] {
    fn args(&self) -> Result<Vec<Arg<'_>>, Error> {
        self.iter().map(|p| p.to_arg()).collect()
    }
}

impl Params for [&dyn ToSql; 0] {
    fn args(&self) -> Result<Vec<Arg<'_>>, Error> {
        Ok(Vec::new())
    }
}

impl Params for () {
    fn args(&self) -> Result<Vec<Arg<'_>>, Error> {
        Ok(Vec::new())
    }
}

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn args(&self) -> Result<Vec<Arg<'_>>, Error> {
                self.iter().map(|p| p.to_arg()).collect()
            }
        }
        impl<T: ToSql> Params for &[T; $n] {
            fn args(&self) -> Result<Vec<Arg<'_>>, Error> {
                self.iter().map(|p| p.to_arg()).collect()
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

/// Parameters from an iterator (rows of different lengths, built at run time).
pub struct ParamsFromIter<T>(Vec<T>);

pub fn params_from_iter<T: ToSql, I: IntoIterator<Item = T>>(iter: I) -> ParamsFromIter<T> {
    ParamsFromIter(iter.into_iter().collect())
}

impl<T: ToSql> Params for ParamsFromIter<T> {
    fn args(&self) -> Result<Vec<Arg<'_>>, Error> {
        self.0.iter().map(|p| p.to_arg()).collect()
    }
}
