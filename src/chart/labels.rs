//! Label placement for point charts: each label goes to the first of eight positions around
//! its point where it overlaps neither another label nor another point's marker and stays
//! inside the plot; when none is free, to the position with the least overlap. A greedy
//! placement in the order given — callers pass the most important points first.

/// A rectangle in pixels: left, top, right, bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    /// Left edge.
    pub left: i32,
    /// Top edge.
    pub top: i32,
    /// Right edge (exclusive).
    pub right: i32,
    /// Bottom edge (exclusive).
    pub bottom: i32,
}

impl Rect {
    fn overlap(&self, o: &Rect) -> i64 {
        let w = (self.right.min(o.right) - self.left.max(o.left)).max(0);
        let h = (self.bottom.min(o.bottom) - self.top.max(o.top)).max(0);
        i64::from(w) * i64::from(h)
    }

    fn outside(&self, bounds: &Rect) -> i64 {
        let area = i64::from(self.right - self.left) * i64::from(self.bottom - self.top);
        area - self.overlap(bounds)
    }
}

/// Places labels of `sizes` (width, height) beside markers of `radius` at `anchors`, inside
/// `bounds`. Returns each label's rectangle, in the order given.
pub(crate) fn place(
    anchors: &[(i32, i32)],
    sizes: &[(u32, u32)],
    radius: i32,
    bounds: Rect,
) -> Vec<Rect> {
    let gap = radius + 3;
    let markers: Vec<Rect> = anchors
        .iter()
        .map(|&(x, y)| Rect {
            left: x - radius,
            top: y - radius,
            right: x + radius,
            bottom: y + radius,
        })
        .collect();
    let mut placed: Vec<Rect> = Vec::with_capacity(anchors.len());
    for (i, (&(x, y), &(w, h))) in anchors.iter().zip(sizes).enumerate() {
        let (w, h) = (w as i32, h as i32);
        // Right, left, above, below, then the four corners.
        let candidates = [
            (x + gap, y - h / 2),
            (x - gap - w, y - h / 2),
            (x - w / 2, y - gap - h),
            (x - w / 2, y + gap),
            (x + gap - 2, y - gap - h + 4),
            (x + gap - 2, y + gap - 4),
            (x - gap - w + 2, y - gap - h + 4),
            (x - gap - w + 2, y + gap - 4),
        ];
        let cost = |&(left, top): &(i32, i32)| {
            let r = Rect {
                left,
                top,
                right: left + w,
                bottom: top + h,
            };
            let labels: i64 = placed.iter().map(|p| r.overlap(p)).sum();
            let points: i64 = markers
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, m)| r.overlap(m))
                .sum();
            (labels + points + 4 * r.outside(&bounds), r)
        };
        let best = candidates
            .iter()
            .map(cost)
            .enumerate()
            // The first free position wins; otherwise the least overlap (earlier on ties).
            .min_by_key(|&(k, (c, _))| (c, k))
            .map(|(_, (_, r))| r)
            .expect("eight candidates");
        placed.push(best);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Rect = Rect {
        left: 0,
        top: 0,
        right: 400,
        bottom: 300,
    };

    fn overlaps(rects: &[Rect]) -> usize {
        let mut n = 0;
        for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                n += usize::from(rects[i].overlap(&rects[j]) > 0);
            }
        }
        n
    }

    #[test]
    fn a_lone_label_goes_to_the_right() {
        let r = place(&[(100, 100)], &[(60, 16)], 9, BOUNDS);
        assert_eq!(
            r,
            [Rect {
                left: 112,
                top: 92,
                right: 172,
                bottom: 108
            }]
        );
    }

    #[test]
    fn crowded_labels_move_apart_and_stay_inside() {
        // Five stations within 30 px of each other, labels 90 px wide.
        let anchors = [(200, 150), (215, 158), (205, 170), (190, 140), (220, 140)];
        let sizes = [(90, 16); 5];
        let r = place(&anchors, &sizes, 9, BOUNDS);
        assert_eq!(overlaps(&r), 0, "{r:?}");
        assert!(r.iter().all(|x| x.outside(&BOUNDS) == 0));
        // The naive placement (all to the right) overlaps.
        let naive: Vec<Rect> = anchors
            .iter()
            .map(|&(x, y)| Rect {
                left: x + 12,
                top: y - 8,
                right: x + 102,
                bottom: y + 8,
            })
            .collect();
        assert!(overlaps(&naive) > 0);
    }

    #[test]
    fn a_label_at_the_right_edge_flips_left() {
        let r = place(&[(390, 100)], &[(60, 16)], 9, BOUNDS);
        assert_eq!(r[0].right, 390 - 12);
    }
}
