//! The one way the domain declares an enum of the platform's values: each variant has exactly
//! one spelling. How those values are stored (`db::mappings`) and published (`graphql::enums`)
//! lives with those layers.

/// Defines an enum whose variants are the platform's values, spelled exactly as given: `ALL`,
/// `as_str`, `FromStr`, `Display` and serde all use that spelling. The doc comments stay
/// readable as text (`DOC`, `doc`), so the API can publish them as descriptions.
macro_rules! value_enum {
    (
        $(#[doc = $doc:literal])*
        $(#[derive($($extra:ident),+ $(,)?)])?
        $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash $($(, $extra)+)?)]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The type's doc comment, verbatim, one line per line.
            pub const DOC: &'static str = concat!($($doc, "\n"),*);

            /// The stored (and platform) spelling of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// This value's doc comment, verbatim, one line per line.
            pub fn doc(self) -> &'static str {
                match self {
                    $($name::$variant => concat!($($vdoc, "\n"),*)),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} value {other:?}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use value_enum;

#[cfg(test)]
mod tests {
    value_enum! {
        /// A colour
        /// of a light.
        Light {
            /// Stop.
            Red = "RED",
            Green = "GREEN",
        }
    }

    #[test]
    fn every_value_has_one_spelling_both_ways() {
        for light in Light::ALL {
            assert_eq!(light.as_str().parse::<Light>(), Ok(*light));
        }
        assert!("red".parse::<Light>().is_err());
    }

    #[test]
    fn doc_comments_are_kept_verbatim() {
        assert_eq!(Light::DOC, " A colour\n of a light.\n");
        assert_eq!(Light::Red.doc(), " Stop.\n");
        assert_eq!(Light::Green.doc(), "");
    }
}
