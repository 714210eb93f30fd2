//! Point-in-polygon for area boundaries given as rings of `[longitude, latitude]`.

/// A boundary ring with its bounding box, ready for repeated tests.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    points: Vec<[f64; 2]>,
    min: [f64; 2],
    max: [f64; 2],
    /// Absolute planar area in square degrees (only used to prefer the smaller of two
    /// overlapping areas of the same level).
    pub(crate) size: f64,
}

impl Ring {
    /// `None` when the ring has fewer than three distinct points or a non-finite coordinate.
    pub(crate) fn new(points: &[[f64; 2]]) -> Option<Self> {
        let mut pts: Vec<[f64; 2]> = points.to_vec();
        if pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        if pts.len() < 3 || pts.iter().flatten().any(|c| !c.is_finite()) {
            return None;
        }
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for p in &pts {
            for k in 0..2 {
                min[k] = min[k].min(p[k]);
                max[k] = max[k].max(p[k]);
            }
        }
        let mut twice = 0.0;
        for (i, a) in pts.iter().enumerate() {
            let b = pts[(i + 1) % pts.len()];
            twice += a[0] * b[1] - b[0] * a[1];
        }
        Some(Self {
            points: pts,
            min,
            max,
            size: (twice / 2.0).abs(),
        })
    }

    /// Even-odd ray casting. Points exactly on an edge may fall either way.
    pub(crate) fn contains(&self, lon: f64, lat: f64) -> bool {
        if lon < self.min[0] || lon > self.max[0] || lat < self.min[1] || lat > self.max[1] {
            return false;
        }
        let n = self.points.len();
        let mut inside = false;
        let mut j = n - 1;
        for i in 0..n {
            let [xi, yi] = self.points[i];
            let [xj, yj] = self.points[j];
            if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                inside = !inside;
            }
            j = i;
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_contains_its_centre_only() {
        let ring = Ring::new(&[[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]);
        let Some(ring) = ring else {
            panic!("valid ring")
        };
        assert!(ring.contains(1.0, 1.0));
        assert!(!ring.contains(3.0, 1.0));
        assert!(!ring.contains(1.0, -0.5));
        assert!((ring.size - 4.0).abs() < 1e-9);
    }

    #[test]
    fn concave_ring_excludes_its_notch() {
        // A "U": the notch between x = 1 and x = 2 above y = 1 is outside.
        let ring = Ring::new(&[
            [0.0, 0.0],
            [3.0, 0.0],
            [3.0, 3.0],
            [2.0, 3.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 3.0],
            [0.0, 3.0],
        ]);
        let Some(ring) = ring else {
            panic!("valid ring")
        };
        assert!(ring.contains(0.5, 2.0));
        assert!(!ring.contains(1.5, 2.0));
        assert!(ring.contains(1.5, 0.5));
    }

    #[test]
    fn degenerate_rings_are_refused() {
        assert!(Ring::new(&[[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]).is_none());
        assert!(Ring::new(&[[0.0, 0.0], [f64::NAN, 1.0], [1.0, 0.0]]).is_none());
    }
}
