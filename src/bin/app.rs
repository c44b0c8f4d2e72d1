//! The page: `yew` UI on the main thread.

#[cfg(target_arch = "wasm32")]
fn main() {
    portspike::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the portspike web app runs in a browser: build it with `trunk build`");
}
