//! HJ 212 data flags (`code-Flag=N`) are lantian's own flag vocabulary: [`quality::Flag`](crate::quality::Flag) is
//! the HJ 212-2017 list (N normal, F stopped, M maintenance, S set by hand, D fault,
//! C calibration, T over range, B communication error), one letter each, upper case. This
//! module only names the CP suffix and reads a code's flag from a packet.

use crate::quality::{Flag, UnknownFlag};

use super::cp::CpView;

/// The CP suffix of a factor's data flag (`a34004-Flag=N`).
pub const FLAG_SUFFIX: &str = "Flag";

/// The data flag of `code` in a packet: `None` when the packet gives none (HJ 212 then means
/// normal, but that is the caller's decision), an error for a letter that is not a flag (lower
/// case included: the standard's flags are upper case, and a guess would invent one).
pub fn flag_of(view: &CpView<'_>, code: &str) -> Option<Result<Flag, UnknownFlag>> {
    view.get(code, FLAG_SUFFIX).map(str::parse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::cp::Cp;

    #[test]
    fn flags_of_codes() {
        let mut cp = Cp::new();
        cp.push_group([("a34004-Rtd", "35"), ("a34004-Flag", "C")]);
        cp.push_group([("a21026-Rtd", "5"), ("a21026-Flag", "n")]);
        cp.push("a21004-Rtd", "20");
        let view = cp.view();
        assert_eq!(flag_of(&view, "a34004"), Some(Ok(Flag::Calibration)));
        assert!(matches!(flag_of(&view, "a21026"), Some(Err(_))));
        assert_eq!(flag_of(&view, "a21004"), None);
    }
}
