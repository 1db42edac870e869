//! A map from increasing integer ids to values: a sorted `Vec` with binary search.
//!
//! Ids are handed out in increasing order, so inserts append. This replaces `BTreeMap`,
//! whose code costs ~20 KB of wasm, for the request tables.

/// A map keyed by ids inserted in increasing order.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    items: Vec<(u64, V)>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<V> IdMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn pos(&self, id: u64) -> Result<usize, usize> {
        self.items.binary_search_by_key(&id, |(k, _)| *k)
    }

    /// Inserts (or replaces) `id`. Appending an id larger than all others is O(1).
    pub fn insert(&mut self, id: u64, v: V) {
        match self.items.last() {
            Some((last, _)) if *last >= id => match self.pos(id) {
                Ok(i) => self.items[i].1 = v,
                Err(i) => self.items.insert(i, (id, v)),
            },
            _ => self.items.push((id, v)),
        }
    }

    /// The value of `id`.
    pub fn get(&self, id: u64) -> Option<&V> {
        self.pos(id).ok().map(|i| &self.items[i].1)
    }

    /// The value of `id`, mutably.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        self.pos(id).ok().map(|i| &mut self.items[i].1)
    }

    /// Removes `id`.
    pub fn remove(&mut self, id: u64) -> Option<V> {
        self.pos(id).ok().map(|i| self.items.remove(i).1)
    }

    /// Removes every entry for which `f` is true; returns their ids in order.
    pub fn remove_where(&mut self, mut f: impl FnMut(&V) -> bool) -> Vec<u64> {
        let mut out = Vec::new();
        self.items.retain(|(id, v)| {
            let hit = f(v);
            if hit {
                out.push(*id);
            }
            !hit
        });
        out
    }

    /// Whether some value satisfies `f`.
    pub fn any(&self, f: impl FnMut(&V) -> bool) -> bool {
        let mut f = f;
        self.items.iter().any(|(_, v)| f(v))
    }

    /// Removes everything; returns the ids in order.
    pub fn drain_ids(&mut self) -> Vec<u64> {
        self.items.drain(..).map(|(id, _)| id).collect()
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic() {
        let mut m = IdMap::new();
        for id in [1, 2, 5, 9] {
            m.insert(id, id * 10);
        }
        m.insert(3, 30); // out of order still works
        m.insert(5, 55);
        assert_eq!(m.get(3), Some(&30));
        assert_eq!(m.get(5), Some(&55));
        assert_eq!(m.remove(2), Some(20));
        assert_eq!(m.remove(2), None);
        assert_eq!(m.remove_where(|v| *v > 40), vec![5, 9]);
        assert_eq!(m.drain_ids(), vec![1, 3]);
        assert!(m.is_empty());
    }
}
