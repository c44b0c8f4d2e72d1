//! The canvas backend the timeline draws through.

use plotters::prelude::DrawingBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;

/// plotters-canvas, measuring text with the canvas: plotters' own measure
/// puts a span in the page and reads its size, a layout of the whole page
/// for every label.
pub struct Canvas {
    pub inner: CanvasBackend,
    pub ctx: web_sys::CanvasRenderingContext2d,
    /// Every text drawn, as its box (left, top, width, height, in
    /// canvas pixels) and its text: the page puts them on the canvas
    /// (`data-text-boxes`), so a test can see that no labels overlap.
    pub boxes: Boxes,
}

/// A text's box (left, top, width, height) and the text.
pub type TextBox = (i32, i32, u32, u32, String);
pub type Boxes = std::rc::Rc<std::cell::RefCell<Vec<TextBox>>>;

type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;

impl DrawingBackend for Canvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        use plotters_backend::text_anchor::{HPos, VPos};
        if let Ok((w, h)) = self.estimate_text_size(text, style) {
            let a = style.anchor();
            let left = match a.h_pos {
                HPos::Left => pos.0,
                HPos::Center => pos.0 - (w / 2) as i32,
                HPos::Right => pos.0 - w as i32,
            };
            let top = match a.v_pos {
                VPos::Top => pos.1,
                VPos::Center => pos.1 - (h / 2) as i32,
                VPos::Bottom => pos.1 - h as i32,
            };
            // Rotated text (the y axis's description) is not a label of a row.
            if matches!(style.transform(), plotters_backend::FontTransform::None) {
                self.boxes
                    .borrow_mut()
                    .push((left, top, w, h, text.to_string()));
            }
        }
        self.inner.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        // The font string plotters-canvas draws with.
        self.ctx.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str(),
        ));
        let (w, h) = self
            .ctx
            .measure_text(text)
            .map(|m| {
                let h = m.font_bounding_box_ascent() + m.font_bounding_box_descent();
                (m.width(), if h > 0.0 { h } else { style.size() * 1.15 })
            })
            .unwrap_or((0.0, style.size() * 1.15));
        Ok((w.ceil() as u32, h.ceil() as u32))
    }
}
