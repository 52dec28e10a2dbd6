//! A program, not a test: `cargo run --target T -- ARGS` runs it through the runner.

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    println!("fidelity-tool on {}: {}", std::env::consts::ARCH, arguments.join(" "));
    if arguments.iter().any(|argument| argument == "--fail") {
        eprintln!("fidelity-tool: asked to fail");
        std::process::exit(3);
    }
}
