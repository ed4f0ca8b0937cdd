//! A change to one optional field of a partial update: leave it, clear it, or set it.

/// What a partial update does to one field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Not mentioned: the field keeps its value.
    #[default]
    Keep,
    /// Given as null: the field is cleared.
    Clear,
    /// Given: the field takes this value.
    Set(T),
}

impl<T> Patch<T> {
    /// Applies the change to `field`.
    pub fn apply(self, field: &mut Option<T>) {
        match self {
            Self::Keep => {}
            Self::Clear => *field = None,
            Self::Set(value) => *field = Some(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_clear_and_set() {
        let mut field = Some(1);
        Patch::Keep.apply(&mut field);
        assert_eq!(field, Some(1));
        Patch::Set(2).apply(&mut field);
        assert_eq!(field, Some(2));
        Patch::Clear.apply(&mut field);
        assert_eq!(field, None);
    }
}
