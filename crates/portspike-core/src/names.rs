//! Enums the report names by a fixed string (`"tcp"`, `"sweep"`,
//! `"attempts"`, `"dst-port"`): serialised as that string, so schema v1
//! reads the same, and comparable with strings, so code that reads a report
//! as text keeps working.

/// Give a fieldless enum its names: `as_str`, `from_name`, `ALL`,
/// `Display` (padded like a string), serde as the name, and `==` with
/// `str`, `&str` and `String` either way round.
macro_rules! named_enum {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Every value, in declaration order.
            pub const ALL: &'static [$t] = &[$($t::$v),+];

            /// The name schema v1 gives it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($t::$v => $s,)+
                }
            }

            /// The value [`Self::as_str`] names (exactly).
            pub fn from_name(s: &str) -> Option<$t> {
                match s {
                    $($s => Some($t::$v),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $t::from_name(&s).ok_or_else(|| {
                    <D::Error as serde::de::Error>::unknown_variant(&s, &[$($s),+])
                })
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, o: &str) -> bool {
                self.as_str() == o
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, o: &&str) -> bool {
                self.as_str() == *o
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, o: &String) -> bool {
                self.as_str() == o
            }
        }

        impl PartialEq<$t> for str {
            fn eq(&self, o: &$t) -> bool {
                self == o.as_str()
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, o: &$t) -> bool {
                *self == o.as_str()
            }
        }

        impl PartialEq<$t> for String {
            fn eq(&self, o: &$t) -> bool {
                self == o.as_str()
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Colour {
        Red,
        DarkBlue,
    }
    named_enum!(Colour { Red => "red", DarkBlue => "dark-blue" });

    #[test]
    fn names_serialise_compare_and_pad_like_strings() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DarkBlue]);
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark-blue\""
        );
        let back: Colour = serde_json::from_str("\"red\"").unwrap();
        assert_eq!(back, Colour::Red);
        let e = serde_json::from_str::<Colour>("\"green\"").unwrap_err();
        assert!(e.to_string().contains("unknown variant `green`"), "{e}");
        assert!(Colour::Red == "red");
        assert!("red" == Colour::Red);
        assert!(Colour::Red != "Red");
        assert!(Colour::DarkBlue == *"dark-blue");
        let owned = String::from("red");
        assert!(owned == Colour::Red);
        assert!(Colour::Red == owned);
        assert_eq!(
            format!("[{:<5}][{:>6}]", Colour::Red, Colour::Red),
            "[red  ][   red]"
        );
        assert_eq!(Colour::from_name("dark-blue"), Some(Colour::DarkBlue));
        assert_eq!(Colour::from_name("DarkBlue"), None);
    }
}
