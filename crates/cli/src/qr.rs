//! Drawing a QR code payload for a phone camera: in the terminal, as PNG and as SVG.
//!
//! Every rendering keeps the 4-module quiet zone the QR standard asks for and draws dark
//! modules on a light background: cameras read inverted codes poorly, and a terminal's default
//! colours may be light on dark, so the terminal rendering sets its colours itself.

use anyhow::Context as _;
use qrcode::{Color, QrCode};
use std::fmt::Write as _;
use std::path::Path;

/// Light modules around the code, as the standard requires.
const QUIET_ZONE: usize = 4;

/// Pixels per module in the PNG: large enough for a phone across a counter.
const PNG_SCALE: usize = 8;

/// A QR code as a square of modules, quiet zone included; `true` is dark.
pub struct Modules {
    size: usize,
    dark: Vec<bool>,
}

impl Modules {
    /// Encodes `payload` (error correction M, the size the payload needs).
    pub fn encode(payload: &str) -> anyhow::Result<Modules> {
        let code =
            QrCode::new(payload.as_bytes()).context("the payload does not fit in a QR code")?;
        let width = code.width();
        let size = width + 2 * QUIET_ZONE;
        let mut dark = vec![false; size * size];
        for (index, color) in code.to_colors().into_iter().enumerate() {
            let (row, column) = (index / width, index % width);
            dark[(row + QUIET_ZONE) * size + column + QUIET_ZONE] = color == Color::Dark;
        }
        Ok(Modules { size, dark })
    }

    /// Whether the module at `row`, `column` is dark (outside the square: light).
    pub fn is_dark(&self, row: usize, column: usize) -> bool {
        row < self.size && column < self.size && self.dark[row * self.size + column]
    }

    /// Two module rows per text line with the half blocks `▀ ▄ █` and spaces. With `colour`,
    /// ANSI escapes set black on white so the code reads dark-on-light on any terminal theme.
    pub fn to_terminal(&self, colour: bool) -> String {
        let mut text = String::new();
        for row in (0..self.size).step_by(2) {
            if colour {
                text.push_str("\u{1b}[30;107m");
            }
            for column in 0..self.size {
                let glyph = match (self.is_dark(row, column), self.is_dark(row + 1, column)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                };
                text.push(glyph);
            }
            if colour {
                text.push_str("\u{1b}[0m");
            }
            text.push('\n');
        }
        text
    }

    /// An SVG document, one unit per module, dark modules as one path on a white background.
    pub fn to_svg(&self) -> String {
        let size = self.size;
        let mut path = String::new();
        for row in 0..size {
            for column in 0..size {
                if self.is_dark(row, column) {
                    let _ = write!(path, "M{column} {row}h1v1h-1z");
                }
            }
        }
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "\n",
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{pixels}" height="{pixels}" shape-rendering="crispEdges">"#,
                r##"<rect width="{size}" height="{size}" fill="#ffffff"/><path fill="#000000" d="{path}"/></svg>"##,
                "\n"
            ),
            size = size,
            pixels = size * PNG_SCALE,
            path = path
        )
    }

    /// A greyscale PNG, [`PNG_SCALE`] pixels per module.
    pub fn to_png(&self) -> anyhow::Result<Vec<u8>> {
        let pixels = self.size * PNG_SCALE;
        let side = u32::try_from(pixels).context("QR code too large")?;
        let mut image = Vec::with_capacity(pixels * pixels);
        for y in 0..pixels {
            for x in 0..pixels {
                image.push(if self.is_dark(y / PNG_SCALE, x / PNG_SCALE) {
                    0
                } else {
                    255
                });
            }
        }
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().context("writing the PNG header")?;
        writer
            .write_image_data(&image)
            .context("writing the PNG image")?;
        writer.finish().context("finishing the PNG")?;
        Ok(png)
    }
}

/// Writes the PNG and SVG renderings of `modules` where asked.
pub fn write_files(
    modules: &Modules,
    png: Option<&Path>,
    svg: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(path) = png {
        std::fs::write(path, modules.to_png()?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = svg {
        std::fs::write(path, modules.to_svg())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiet_zone_is_light_and_the_finder_pattern_dark() {
        let modules = Modules::encode("weixin://wxpay/bizpayurl?pr=abc1234").expect("encodes");
        let size = modules.size;
        for index in 0..size {
            for (row, column) in [(0, index), (index, 0), (size - 1, index), (index, size - 1)] {
                assert!(
                    !modules.is_dark(row, column),
                    "quiet zone at {row},{column}"
                );
            }
        }
        // The top-left finder pattern starts right inside the quiet zone.
        assert!(modules.is_dark(QUIET_ZONE, QUIET_ZONE));
        assert!(modules.is_dark(QUIET_ZONE + 6, QUIET_ZONE + 6));
        assert!(!modules.is_dark(QUIET_ZONE + 1, QUIET_ZONE + 1));
    }

    #[test]
    fn the_terminal_rendering_packs_two_rows_per_line() {
        let modules = Modules::encode("https://qr.alipay.com/bax01234").expect("encodes");
        let plain = modules.to_terminal(false);
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines.len(), modules.size.div_ceil(2));
        assert!(lines
            .iter()
            .all(|line| line.chars().count() == modules.size));
        assert!(plain.contains('█') && plain.contains('▀'));
        let coloured = modules.to_terminal(true);
        assert!(coloured.starts_with("\u{1b}[30;107m"));
    }

    #[test]
    fn png_and_svg_are_well_formed() {
        let modules = Modules::encode("weixin://wxpay/bizpayurl?pr=abc1234").expect("encodes");
        let png = modules.to_png().expect("png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let svg = modules.to_svg();
        assert!(svg.contains("<svg") && svg.contains(r##"fill="#ffffff""##));
    }
}
