//! Links the system's libxgboost (Debian: libxgboost-dev). Compiling XGBoost's C++ from source
//! costs ~29 minutes per cold build on the project's machines; the packaged library is as fast.
fn main() {
    let header = std::path::Path::new("/usr/include/xgboost/c_api.h");
    if !header.exists() && std::env::var_os("XGBOOST_LIB_DIR").is_none() {
        println!(
            "cargo:warning=libxgboost-dev is not installed (no {}); run scripts/bootstrap",
            header.display()
        );
    }
    if let Some(dir) = std::env::var_os("XGBOOST_LIB_DIR") {
        println!(
            "cargo:rustc-link-search=native={}",
            std::path::PathBuf::from(dir).display()
        );
    }
    println!("cargo:rerun-if-env-changed=XGBOOST_LIB_DIR");
    println!("cargo:rustc-link-lib=dylib=xgboost");
}
