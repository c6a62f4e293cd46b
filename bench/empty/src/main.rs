//! Prints one line, as the C floor does: what any Rust program pays before it does anything.

fn main() {
    println!("hello");
}
