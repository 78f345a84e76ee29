//! Closed sets of named values (a tyre's position, a tab of the assessment
//! editor), each declared once with [`closed_set!`](crate::closed_set): the
//! enum, the name each value is stored and sent as, and the label pages show.

/// Declares an enum from `Variant = "name": "Label"` lines, with
/// - the derives every closed set has (`Debug`, `Clone`, `Copy`, `PartialEq`,
///   `Eq`, `Hash`, serde) and, under `openapi`, `utoipa::ToSchema` with the
///   names as its enum,
/// - `#[serde(rename = "name")]` on each variant,
/// - `ALL` (in declaration order), `as_str()` (the name), `label()` and
///   `named(name)`,
/// - `FromStr` (by name) and `Display` (the name).
///
/// Further attributes (docs, more derives) are given by the caller.
#[macro_export]
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $set:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $name:literal : $label:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $set {
            $($(#[$variant_meta])* #[serde(rename = $name)] $variant,)+
        }

        // Written out rather than derived: the derive does not see the
        // `serde(rename)` the macro writes and would document the Rust
        // variant names instead of the names sent.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $set {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($name),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $set {}

        impl $set {
            /// Every value, in order.
            pub const ALL: &'static [$set] = &[$($set::$variant),+];

            /// The name it is stored and sent as.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($set::$variant => $name,)+
                }
            }

            /// As pages show it.
            pub const fn label(self) -> &'static str {
                match self {
                    $($set::$variant => $label,)+
                }
            }

            /// The value with this name, if there is one.
            pub fn named(name: &str) -> Option<$set> {
                $set::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl ::core::str::FromStr for $set {
            type Err = String;

            fn from_str(name: &str) -> Result<Self, String> {
                $set::named(name).ok_or_else(|| {
                    let names: Vec<&str> = $set::ALL.iter().map(|value| value.as_str()).collect();
                    format!("unknown {} {name:?}; expected one of {}", stringify!($set), names.join(", "))
                })
            }
        }

        impl ::core::fmt::Display for $set {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Lets sqlx read closed sets stored as `text` (a column's CHECK allows only
/// their names) straight into the enum, as `col AS "col: Set"` (and
/// `Vec<Set>` for `text[]`). An unknown name is a decode error, never a
/// guess. Server only (feature `sqlx`); `Role` is a PostgreSQL enum instead.
#[macro_export]
macro_rules! stored_as_text {
    ($($set:ty),+ $(,)?) => {$(
        #[cfg(feature = "sqlx")]
        impl ::sqlx::Type<::sqlx::Postgres> for $set {
            fn type_info() -> ::sqlx::postgres::PgTypeInfo {
                <&str as ::sqlx::Type<::sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &::sqlx::postgres::PgTypeInfo) -> bool {
                <&str as ::sqlx::Type<::sqlx::Postgres>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl ::sqlx::postgres::PgHasArrayType for $set {
            fn array_type_info() -> ::sqlx::postgres::PgTypeInfo {
                <&str as ::sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r> ::sqlx::Decode<'r, ::sqlx::Postgres> for $set {
            fn decode(value: ::sqlx::postgres::PgValueRef<'r>) -> Result<Self, ::sqlx::error::BoxDynError> {
                let name = <&str as ::sqlx::Decode<::sqlx::Postgres>>::decode(value)?;
                Ok(name.parse::<$set>()?)
            }
        }
    )+};
}

#[cfg(test)]
mod tests {
    use std::fmt::{Debug, Display};
    use std::str::FromStr;

    use crate::accounts::{Role, Scope};
    use crate::training::AssignmentStatus;

    /// The names of a closed set, after checking that each parses back to
    /// its value and that an unknown name is refused.
    fn names<T: Copy + PartialEq + Debug + Display + FromStr>(all: &[T]) -> Vec<String> {
        for &value in all {
            assert_eq!(value.to_string().parse::<T>().ok(), Some(value));
        }
        assert!("nonsense".parse::<T>().is_err());
        all.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn closed_sets_keep_their_stored_names() {
        // The database and the API know these names; renaming one is a migration.
        assert_eq!(names(Role::ALL), ["member", "staff", "counselor", "admin"]);
        assert_eq!(names(Scope::ALL), ["workflow", "assignments"]);
        assert_eq!(names(AssignmentStatus::ALL), ["pending", "in_progress", "completed"]);
        assert_eq!((Role::Admin.label(), Scope::Workflow.label()), ("Administrator", "Clients and workflow"));
    }
}
