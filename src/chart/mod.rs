//! What every chart shares, below the modules that draw them (`report::charts`,
//! `sources::chart*`): the [`Chart`] trait and [`render`] (SVG in the page's language, PNG in
//! English), the embedded font, the legend box, label widths and label placement (`labels`).
//!
//! # Fonts
//!
//! plotters is built without system font libraries; text is laid out with `ab_glyph` and an
//! embedded font, DejaVu Sans (`assets/fonts/DejaVuSans.ttf`, from Debian's
//! `fonts-dejavu-core` 2.37, Bitstream Vera licence in `assets/fonts/DejaVuSans-LICENSE.txt`),
//! registered once as the `sans-serif` family ([`ensure_fonts`]). DejaVu has no CJK glyphs and
//! a CJK font is far too large to embed, so:
//!
//! - **SVG** keeps text as text: the browser renders Chinese names with the reader's fonts
//!   (the report's CSS lists CJK system fonts), so the SVG uses the configured language;
//! - **PNG** is rasterised here, so PNG charts always use English names and labels.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use unicode_width::UnicodeWidthStr;

use crate::lang::Lang;

pub(crate) mod labels;

/// The embedded font (DejaVu Sans 2.37).
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("chart `{chart}`: {message}")]
pub struct ChartError {
    /// Which chart.
    pub chart: &'static str,
    /// What went wrong (plotters' message).
    pub message: String,
}

/// Registers the embedded font as the `sans-serif` family (once per process).
pub fn ensure_fonts() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError {
            chart: "font",
            message: "the embedded font could not be read".into(),
        })
    }
}

/// What drawing on a plotters backend returns.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// A short name for errors and file names.
    const NAME: &'static str;
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws the chart with labels in `lang`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, lang: Lang)
    -> DrawResult<DB>;
}

/// Draws `chart` as an SVG string in `lang` and, when `png` is given, as a PNG file (English).
pub fn render<C: Chart>(chart: &C, lang: Lang, png: Option<&Path>) -> Result<String, ChartError> {
    ensure_fonts()?;
    let fail = |e: &dyn std::fmt::Display| ChartError {
        chart: C::NAME,
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        chart.draw(&root, lang).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    if let Some(path) = png {
        let root = BitMapBackend::new(path, chart.size()).into_drawing_area();
        chart.draw(&root, Lang::En).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The series legend, boxed on a translucent white background.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    opacity: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(opacity))
        .border_style(RGBColor(0x99, 0x99, 0x99))
        .label_font(font(15))
        .draw()
}

/// The chart font (the embedded DejaVu Sans) at `size` px.
pub fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, size).into_font())
}

/// Pixels for a label area wide enough for `names` at font size ~12.
pub(crate) fn label_width<'a>(names: impl Iterator<Item = &'a str>) -> u32 {
    let w = names.map(UnicodeWidthStr::width).max().unwrap_or(4);
    u32::try_from(w).unwrap_or(30).clamp(3, 30) * 9 + 14
}
