//! Where each resource sits in the picture of the plan (Review, Provision and Done draw
//! it): a small deterministic layout of the graph. A step's column is the length of the
//! longest chain of steps it waits for, so every arrow points right; its row is its place
//! among the steps of that column, in the graph's order. The same plan always gives the
//! same picture.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::journal::StepId;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    pub column: u32,
    pub row: u32,
    /// The steps it waits for: the arrows into its box.
    pub waits_for: Vec<StepId>,
}

/// The place of every step of `graph` (steps after what they wait for, as `graph` gives them).
pub fn places(graph: &[(StepId, Vec<StepId>)]) -> BTreeMap<StepId, Place> {
    let mut column: BTreeMap<StepId, u32> = BTreeMap::new();
    let mut rows: BTreeMap<u32, u32> = BTreeMap::new();
    let mut placed = BTreeMap::new();
    for (step, deps) in graph {
        let here = deps
            .iter()
            .filter_map(|d| column.get(d))
            .map(|c| c + 1)
            .max()
            .unwrap_or(0);
        column.insert(*step, here);
        let row = rows.entry(here).or_insert(0);
        placed.insert(
            *step,
            Place {
                column: here,
                row: *row,
                waits_for: deps.clone(),
            },
        );
        *row += 1;
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::StepId::*;

    #[test]
    fn every_arrow_points_right_and_no_two_boxes_share_a_place() {
        let graph = vec![
            (Instance, vec![]),
            (ManagerKey, vec![Instance]),
            (Vpc, vec![]),
            (Subnet, vec![Vpc]),
            (Vpe, vec![Instance, Subnet]),
        ];
        let placed = places(&graph);
        for (step, place) in &placed {
            for dep in &place.waits_for {
                assert!(placed[dep].column < place.column, "{dep:?} → {step:?}");
            }
        }
        let mut spots: Vec<(u32, u32)> = placed.values().map(|p| (p.column, p.row)).collect();
        spots.sort();
        spots.dedup();
        assert_eq!(spots.len(), placed.len());
        assert_eq!((placed[&Vpe].column, placed[&Vpe].row), (2, 0));
        assert_eq!((placed[&Vpc].column, placed[&Vpc].row), (0, 1));
        assert_eq!(
            places(&graph),
            placed,
            "the same plan gives the same picture"
        );
    }
}
