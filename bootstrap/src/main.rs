#![forbid(unsafe_code)]
//! The `bedrud` binary.

fn main() -> std::process::ExitCode {
    bedrud::main_entry()
}
