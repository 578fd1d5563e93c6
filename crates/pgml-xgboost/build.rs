//! Checks that the system's libxgboost (Debian: libxgboost-dev / libxgboost0) is there. It is
//! loaded at run time, not linked (see src/lib.rs). Compiling XGBoost's C++ from source costs ~29
//! minutes per cold build on the project's machines; the packaged library is as fast.
fn main() {
    let header = std::path::Path::new("/usr/include/xgboost/c_api.h");
    if !header.exists() {
        println!(
            "cargo:warning=libxgboost-dev is not installed (no {}); run scripts/bootstrap",
            header.display()
        );
    }
}
