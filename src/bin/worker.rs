//! The analysis worker: reads a `File` in slices and runs the engine.

#[cfg(target_arch = "wasm32")]
fn main() {
    portspike::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the portspike worker runs in a browser: build it with `trunk build`");
}
