//! What a query would cost, measured on its document before anything runs. Fragments are
//! measured once each and reused, so a document is measured in time linear in its size
//! however its fragments spread each other; what is measured is the query as expanded.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{Positioned, Value, Variables};

use crate::graphql::pagination::{DEFAULT_PAGE, MAX_PAGE};

/// How many items a list without page arguments is counted as (the default page size).
pub const UNPAGED_LIST_ITEMS: u64 = DEFAULT_PAGE as u64;

/// The measures of a query (or of one fragment), each saturating rather than overflowing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    /// An upper bound on the result's nodes: every field counts 1, and the fields below a
    /// list count once per item it may hold (its `first`/`last`, else its default).
    pub cost: u64,
    /// Fields once fragments are spread, each counted once (no page multiplication).
    pub selections: u64,
    /// The deepest nesting of fields.
    pub depth: u64,
    /// Aliased fields once fragments are spread.
    pub aliases: u64,
}

impl Measure {
    /// The measures of two sibling selections together.
    fn and(self, other: Self) -> Self {
        Self {
            cost: self.cost.saturating_add(other.cost),
            selections: self.selections.saturating_add(other.selections),
            depth: self.depth.max(other.depth),
            aliases: self.aliases.saturating_add(other.aliases),
        }
    }

    /// The larger of each measure: what a document's limits are checked against.
    fn max(self, other: Self) -> Self {
        Self {
            cost: self.cost.max(other.cost),
            selections: self.selections.max(other.selections),
            depth: self.depth.max(other.depth),
            aliases: self.aliases.max(other.aliases),
        }
    }
}

/// Why a document could not be measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasurable {
    /// A fragment spreads itself, directly or through others.
    FragmentCycle(String),
}

/// Measures the operation that will run (the named one, or the only one) and every other
/// operation and fragment of the document; returns the operation's measures and the largest
/// of each measure over the whole document, which is what the limits apply to (validation
/// walks every definition, used or not).
pub fn measure(
    registry: &Registry,
    doc: &ExecutableDocument,
    variables: &Variables,
    operation_name: Option<&str>,
) -> Result<(Measure, Measure), Unmeasurable> {
    let mut walker = Walker {
        registry,
        doc,
        variables,
        fragments: HashMap::new(),
    };
    let mut selected = Measure::default();
    let mut largest = Measure::default();
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![(None, op)],
        DocumentOperations::Multiple(ops) => {
            ops.iter().map(|(name, op)| (Some(name), op)).collect()
        }
    };
    let only_one = operations.len() == 1;
    for (name, op) in operations {
        let root = match op.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let measured = walker.selection_set(&op.node.selection_set, root)?;
        let chosen = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => only_one,
            (Some(_), None) => false,
        };
        if chosen {
            selected = measured;
        }
        largest = largest.max(measured);
    }
    for name in doc.fragments.keys() {
        largest = largest.max(walker.fragment(name.as_str())?);
    }
    Ok((selected, largest))
}

struct Walker<'a> {
    registry: &'a Registry,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Each fragment's measures once known; `None` while it is being measured.
    fragments: HashMap<&'a str, Option<Measure>>,
}

impl<'a> Walker<'a> {
    fn selection_set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        parent: Option<&'a str>,
    ) -> Result<Measure, Unmeasurable> {
        let mut total = Measure::default();
        for selection in &set.node.items {
            let measured = match &selection.node {
                Selection::Field(field) => self.field(&field.node, parent)?,
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(parent);
                    self.selection_set(&inline.node.selection_set, on)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            total = total.and(measured);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Measure, Unmeasurable> {
        match self.fragments.get(name) {
            Some(Some(known)) => return Ok(*known),
            Some(None) => return Err(Unmeasurable::FragmentCycle(name.to_owned())),
            None => {}
        }
        // An unknown fragment is left to validation, which names it.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Measure::default());
        };
        self.fragments.insert(name, None);
        let on = fragment.node.type_condition.node.on.node.as_str();
        let measured = self.selection_set(&fragment.node.selection_set, Some(on))?;
        self.fragments.insert(name, Some(measured));
        Ok(measured)
    }

    fn field(
        &mut self,
        field: &'a Field,
        parent: Option<&'a str>,
    ) -> Result<Measure, Unmeasurable> {
        let shape = self.shape(field, parent);
        let children = self.selection_set(&field.selection_set, shape.type_name)?;
        let items = match shape.kind {
            FieldKind::Paged => self.page_size(field),
            FieldKind::PageItems => 1,
            FieldKind::List => UNPAGED_LIST_ITEMS,
            FieldKind::Single => 1,
        };
        Ok(Measure {
            cost: children.cost.saturating_mul(items).saturating_add(1),
            selections: children.selections.saturating_add(1),
            depth: children.depth.saturating_add(1),
            aliases: children
                .aliases
                .saturating_add(u64::from(field.alias.is_some())),
        })
    }

    /// What the schema says of a field: the type its children are selected on and how many
    /// times they may repeat. Unknown fields and types are left to validation.
    fn shape(&self, field: &Field, parent: Option<&str>) -> Shape<'a> {
        let name = field.name.node.as_str();
        let introspection = match name {
            "__schema" => Some("__Schema"),
            "__type" => Some("__Type"),
            _ => None,
        };
        if let Some(type_name) = introspection {
            return Shape {
                type_name: self.registry.types.get(type_name).map(|t| t.name()),
                kind: FieldKind::Single,
            };
        }
        let parent_fields = parent
            .and_then(|p| self.registry.types.get(p))
            .and_then(|t| match t {
                MetaType::Object { fields, .. } | MetaType::Interface { fields, .. } => {
                    Some(fields)
                }
                _ => None,
            });
        let Some(meta) = parent_fields.and_then(|fields| fields.get(name)) else {
            return Shape {
                type_name: None,
                kind: FieldKind::Single,
            };
        };
        let is_list = meta.ty.trim_end_matches('!').starts_with('[');
        let named = meta.ty.trim_matches(|c| matches!(c, '[' | ']' | '!'));
        let target = self.registry.types.get(named);
        let is_leaf = matches!(
            target,
            Some(MetaType::Scalar { .. }) | Some(MetaType::Enum { .. }) | None
        );
        let paged = meta.args.contains_key("first") || meta.args.contains_key("last");
        // A connection's own lists (edges, nodes) hold its page, already counted by the
        // field that asked for the page.
        let in_connection = parent_fields.is_some_and(|fields| fields.contains_key("pageInfo"));
        let kind = if paged {
            FieldKind::Paged
        } else if is_list && is_leaf {
            FieldKind::Single
        } else if is_list && in_connection {
            FieldKind::PageItems
        } else if is_list {
            FieldKind::List
        } else {
            FieldKind::Single
        };
        Shape {
            type_name: target.map(|t| t.name()),
            kind,
        }
    }

    /// The page a paged field asks for: its `first` or `last` (literal or variable), within
    /// the bounds the resolver enforces, else the default page.
    fn page_size(&self, field: &Field) -> u64 {
        let asked = ["first", "last"]
            .iter()
            .filter_map(|arg| field.get_argument(arg))
            .filter_map(|value| {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                    .ok()?;
                match value {
                    Value::Number(n) => n.as_i64(),
                    _ => None,
                }
            })
            .max();
        let size = asked.unwrap_or(i64::from(DEFAULT_PAGE));
        size.clamp(1, i64::from(MAX_PAGE)) as u64
    }
}

struct Shape<'a> {
    type_name: Option<&'a str>,
    kind: FieldKind,
}

enum FieldKind {
    /// Takes `first`/`last`: its children repeat once per item of the page.
    Paged,
    /// A connection's `edges` or `nodes`: the page its connection field counted.
    PageItems,
    /// Any other list of objects: counted as [`UNPAGED_LIST_ITEMS`].
    List,
    /// One value (or a list of scalars, counted as one).
    Single,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(query: &str) -> Result<Measure, Unmeasurable> {
        measured_with(query, Variables::default())
    }

    fn measured_with(query: &str, variables: Variables) -> Result<Measure, Unmeasurable> {
        let doc = async_graphql::parser::parse_query(query).expect("query parses");
        let registry = crate::graphql::limits::test_registry();
        measure(&registry, &doc, &variables, None).map(|(selected, _)| selected)
    }

    #[test]
    fn every_field_counts_one() {
        let m = measured("{ viewer { id name } }").expect("measured");
        assert_eq!(m.cost, 3);
        assert_eq!(m.selections, 3);
        assert_eq!(m.depth, 2);
        assert_eq!(m.aliases, 0);
    }

    #[test]
    fn a_page_multiplies_its_children_by_its_size() {
        let ten = measured("{ customers(first: 10) { nodes { customerId } } }").expect("m");
        let hundred = measured("{ customers(first: 100) { nodes { customerId } } }").expect("m");
        // customers + 10 × (nodes + customerId)
        assert_eq!(ten.cost, 1 + 10 * 2);
        assert_eq!(hundred.cost, 1 + 100 * 2);
        assert_eq!(ten.selections, hundred.selections);
    }

    #[test]
    fn a_page_without_first_counts_the_default_page_and_sizes_are_bounded() {
        let default = measured("{ customers { nodes { customerId } } }").expect("m");
        assert_eq!(default.cost, 1 + u64::from(DEFAULT_PAGE as u32) * 2);
        let huge = measured("{ customers(first: 100000) { nodes { customerId } } }").expect("m");
        assert_eq!(huge.cost, 1 + 100 * 2);
    }

    #[test]
    fn page_sizes_from_variables_count() {
        let mut variables = async_graphql::Variables::default();
        variables.insert(
            async_graphql::Name::new("n"),
            async_graphql::Value::from(50),
        );
        let m = measured_with(
            "query($n: Int) { customers(first: $n) { nodes { customerId } } }",
            variables,
        )
        .expect("m");
        assert_eq!(m.cost, 1 + 50 * 2);
    }

    #[test]
    fn nested_pages_multiply() {
        let m = measured(
            "{ customers(first: 100) { nodes { accounts(first: 100) { nodes { customer { \
             accounts(first: 100) { nodes { accountId } } } } } } } }",
        )
        .expect("m");
        assert!(m.cost > 100 * 100 * 100, "{m:?}");
    }

    #[test]
    fn fragments_count_as_spread_and_aliases_count() {
        let direct = measured("{ a: viewer { id } b: viewer { id } }").expect("m");
        let spread =
            measured("{ a: viewer { ...V } b: viewer { ...V } } fragment V on Viewer { id }")
                .expect("m");
        assert_eq!(direct, spread);
        assert_eq!(direct.aliases, 2);
    }

    #[test]
    fn fragment_fan_out_is_measured_as_expanded_in_linear_time() {
        // Each fragment spreads the next ten times: 10^12 fields once expanded.
        let mut query = String::from("{ ...F0 }");
        for level in 0..12 {
            let next = format!("...F{} ", level + 1);
            query.push_str(&format!(
                " fragment F{level} on Query {{ {} }}",
                next.repeat(10)
            ));
        }
        query.push_str(" fragment F12 on Query { __typename }");
        let started = std::time::Instant::now();
        let m = measured(&query).expect("m");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(m.selections, 10u64.pow(12));
    }

    #[test]
    fn the_readme_nested_page_costs_what_the_readme_says() {
        let m = measured(
            "{ customers(first: 50) { nodes { customerId status accounts { nodes { \
             accountId assetTypeId status currentBalance availableBalance payors { payorId } \
             transactions(first: 5) { nodes { transactionType transactionStatus value payor { \
             payorId } } } } } payors { nodes { payorId companyName countryCode } } } } }",
        )
        .expect("m");
        assert_eq!(m.cost, 62_251);
    }

    #[test]
    fn fragment_cycles_are_refused() {
        let result = measured("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }");
        assert!(matches!(result, Err(Unmeasurable::FragmentCycle(_))));
    }

    #[test]
    fn unused_fragments_are_measured_too() {
        let registry = crate::graphql::limits::test_registry();
        let doc = async_graphql::parser::parse_query(
            "{ viewer { id } } fragment Big on Query { customers(first: 100) { nodes { id } } }",
        )
        .expect("parses");
        let (selected, largest) =
            measure(&registry, &doc, &Variables::default(), None).expect("measured");
        assert_eq!(selected.cost, 2);
        assert_eq!(largest.cost, 1 + 100 * 2);
    }
}
