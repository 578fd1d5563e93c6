//! The kernels of `gaussian_process`, written as scikit-learn writes them, in a text
//! hyperparameter: `"1.0 * RBF(length_scale=2.0) + WhiteKernel(noise_level=0.1)"`.
//!
//! Grammar: sums of products of factors; a factor is a number (a `ConstantKernel` of that value,
//! as `1.0 * RBF()` is in Python), a kernel call, or a parenthesized expression. Kernels and
//! their arguments (positional in this order, or by name), with scikit-learn's defaults:
//! `RBF(length_scale=1.0, length_scale_bounds=(1e-5, 1e5))` (a list such as `[1.0, 2.0]` makes
//! it anisotropic), `Matern(length_scale=1.0, length_scale_bounds, nu=1.5)` (nu 0.5, 1.5, 2.5 or
//! inf), `RationalQuadratic(length_scale=1.0, alpha=1.0, length_scale_bounds, alpha_bounds)`,
//! `DotProduct(sigma_0=1.0, sigma_0_bounds)`, `WhiteKernel(noise_level=1.0, noise_level_bounds)`,
//! `ConstantKernel(constant_value=1.0, constant_value_bounds)` (or `C`). Bounds are
//! `(low, high)` or `"fixed"` (a fixed hyperparameter is not optimized).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One hyperparameter: its value and bounds (None: fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    pub value: Vec<f64>,
    pub bounds: Option<(f64, f64)>,
}

impl Hyper {
    fn scalar(v: f64) -> Hyper {
        Hyper {
            value: vec![v],
            bounds: Some((1e-5, 1e5)),
        }
    }
}

/// A kernel. Stored by variant name through serde's externally tagged enum (a name, not a
/// position).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    Constant(Hyper),
    White(Hyper),
    Rbf(Hyper),
    /// Length scale and ν (0.5, 1.5, 2.5 or ∞).
    Matern(Hyper, f64),
    /// Length scale and α.
    RationalQuadratic(Hyper, Hyper),
    DotProduct(Hyper),
    Sum(Box<Kernel>, Box<Kernel>),
    Product(Box<Kernel>, Box<Kernel>),
}

fn scaled_sq_dist(a: &[f64], b: &[f64], ls: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(j, (x, y))| {
            let l = if ls.len() == 1 { ls[0] } else { ls[j] };
            let d = (x - y) / l;
            d * d
        })
        .sum()
}

impl Kernel {
    /// k(a, b); `same` when a and b are the same training row (WhiteKernel's noise).
    pub fn eval(&self, a: &[f64], b: &[f64], same: bool) -> f64 {
        match self {
            Kernel::Constant(c) => c.value[0],
            Kernel::White(w) => {
                if same {
                    w.value[0]
                } else {
                    0.0
                }
            }
            Kernel::Rbf(ls) => (-0.5 * scaled_sq_dist(a, b, &ls.value)).exp(),
            Kernel::Matern(ls, nu) => {
                let d = scaled_sq_dist(a, b, &ls.value).sqrt();
                if *nu == 0.5 {
                    (-d).exp()
                } else if *nu == 1.5 {
                    let k = 3f64.sqrt() * d;
                    (1.0 + k) * (-k).exp()
                } else if *nu == 2.5 {
                    let k = 5f64.sqrt() * d;
                    (1.0 + k + k * k / 3.0) * (-k).exp()
                } else {
                    (-0.5 * d * d).exp()
                }
            }
            Kernel::RationalQuadratic(ls, alpha) => {
                let (l, al) = (ls.value[0], alpha.value[0]);
                let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                (1.0 + d2 / (2.0 * al * l * l)).powf(-al)
            }
            Kernel::DotProduct(s) => {
                let s0 = s.value[0];
                s0 * s0 + a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>()
            }
            Kernel::Sum(l, r) => l.eval(a, b, same) + r.eval(a, b, same),
            Kernel::Product(l, r) => l.eval(a, b, same) * r.eval(a, b, same),
        }
    }

    /// The optimized hyperparameters, as scikit-learn's `theta`: logs of the non-fixed values,
    /// left to right, with their log bounds.
    pub fn theta(&self, out: &mut Vec<(f64, (f64, f64))>) {
        let mut push = |h: &Hyper| {
            if let Some((lo, hi)) = h.bounds {
                for v in &h.value {
                    out.push((v.ln(), (lo.ln(), hi.ln())));
                }
            }
        };
        match self {
            Kernel::Constant(h) | Kernel::White(h) | Kernel::Rbf(h) | Kernel::DotProduct(h) => {
                push(h)
            }
            Kernel::Matern(h, _) => push(h),
            Kernel::RationalQuadratic(l, a) => {
                push(l);
                push(a);
            }
            Kernel::Sum(l, r) | Kernel::Product(l, r) => {
                l.theta(out);
                r.theta(out);
            }
        }
    }

    /// Sets the non-fixed values from `theta` (logs), in `theta`'s order; returns how many it
    /// used.
    pub fn set_theta(&mut self, theta: &[f64]) -> usize {
        fn set(h: &mut Hyper, theta: &[f64]) -> usize {
            if h.bounds.is_none() {
                return 0;
            }
            for (v, t) in h.value.iter_mut().zip(theta) {
                *v = t.exp();
            }
            h.value.len()
        }
        match self {
            Kernel::Constant(h) | Kernel::White(h) | Kernel::Rbf(h) | Kernel::DotProduct(h) => {
                set(h, theta)
            }
            Kernel::Matern(h, _) => set(h, theta),
            Kernel::RationalQuadratic(l, a) => {
                let k = set(l, theta);
                k + set(a, &theta[k..])
            }
            Kernel::Sum(l, r) | Kernel::Product(l, r) => {
                let k = l.set_theta(theta);
                k + r.set_theta(&theta[k..])
            }
        }
    }

    /// Checks against the feature count (an anisotropic length scale has one per feature).
    pub fn check(&self, p: usize) -> Result<()> {
        match self {
            Kernel::Rbf(h) | Kernel::Matern(h, _) if h.value.len() != 1 && h.value.len() != p => {
                Err(Error::invalid(format!(
                    "the gaussian_process kernel has {} length scales for {p} features",
                    h.value.len()
                )))
            }
            Kernel::Sum(l, r) | Kernel::Product(l, r) => {
                l.check(p)?;
                r.check(p)
            }
            _ => Ok(()),
        }
    }
}

/// Parses the kernel text.
pub fn parse(text: &str) -> Result<Kernel> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        text,
    };
    let k = p.expr()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("unexpected text"));
    }
    Ok(k)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

const KERNEL_HINT: &str = "write the kernel as scikit-learn does, e.g. \"1.0 * RBF(length_scale=1.0) + WhiteKernel(noise_level=0.1)\"; kernels: RBF, Matern, RationalQuadratic, DotProduct, WhiteKernel, ConstantKernel (C); + and * combine them";

impl Parser<'_> {
    fn error(&self, what: &str) -> Error {
        Error::invalid_with_hint(
            format!(
                "hyperparameter kernel of gaussian_process: {what} at character {} of \"{}\"",
                self.i + 1,
                self.text
            ),
            KERNEL_HINT,
        )
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Kernel> {
        let mut k = self.term()?;
        while self.eat(b'+') {
            k = Kernel::Sum(Box::new(k), Box::new(self.term()?));
        }
        Ok(k)
    }

    fn term(&mut self) -> Result<Kernel> {
        let mut k = self.factor()?;
        while self.eat(b'*') {
            k = Kernel::Product(Box::new(k), Box::new(self.factor()?));
        }
        Ok(k)
    }

    fn number(&mut self) -> Option<f64> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_digit() || b".eE+-".contains(&self.s[self.i]))
        {
            // A sign only at the start or after an exponent.
            if (self.s[self.i] == b'+' || self.s[self.i] == b'-')
                && self.i > start
                && !b"eE".contains(&self.s[self.i - 1])
            {
                break;
            }
            self.i += 1;
        }
        let t = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        if t == "inf" {
            return Some(f64::INFINITY);
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.i = start;
                None
            }
        }
    }

    fn name(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn factor(&mut self) -> Result<Kernel> {
        if self.eat(b'(') {
            let k = self.expr()?;
            if !self.eat(b')') {
                return Err(self.error("expected )"));
            }
            return Ok(k);
        }
        if let Some(v) = self.number() {
            return positive(v, self).map(|v| Kernel::Constant(Hyper::scalar(v)));
        }
        let name = self.name();
        if name.is_empty() {
            return Err(self.error("expected a kernel or a number"));
        }
        let params: &[&str] = match name.as_str() {
            "RBF" => &["length_scale", "length_scale_bounds"],
            "Matern" => &["length_scale", "length_scale_bounds", "nu"],
            "RationalQuadratic" => &[
                "length_scale",
                "alpha",
                "length_scale_bounds",
                "alpha_bounds",
            ],
            "DotProduct" => &["sigma_0", "sigma_0_bounds"],
            "WhiteKernel" => &["noise_level", "noise_level_bounds"],
            "ConstantKernel" | "C" => &["constant_value", "constant_value_bounds"],
            _ => return Err(self.error(&format!("unknown kernel {name}"))),
        };
        let args = self.args(params)?;
        let value = |k: &str, default: f64| -> Result<Vec<f64>> {
            match args.iter().find(|(n, _)| n == k) {
                Some((_, Arg::Number(v))) => Ok(vec![*v]),
                Some((_, Arg::List(v))) if k == "length_scale" && name != "RationalQuadratic" => {
                    Ok(v.clone())
                }
                Some(_) => Err(self.error(&format!("{k} of {name} must be a positive number"))),
                None => Ok(vec![default]),
            }
        };
        let bounds = |k: &str| -> Result<Option<(f64, f64)>> {
            match args.iter().find(|(n, _)| n == k) {
                Some((_, Arg::Fixed)) => Ok(None),
                Some((_, Arg::List(v))) if v.len() == 2 && v[0] > 0.0 && v[0] <= v[1] => {
                    Ok(Some((v[0], v[1])))
                }
                Some(_) => Err(self.error(&format!(
                    "{k} of {name} must be \"fixed\" or (low, high) with 0 < low <= high"
                ))),
                None => Ok(Some((1e-5, 1e5))),
            }
        };
        let hyper = |v: &str, b: &str, default: f64| -> Result<Hyper> {
            let value = value(v, default)?;
            if value.iter().any(|&x| x.is_nan() || x <= 0.0) {
                return Err(self.error(&format!("{v} of {name} must be positive")));
            }
            Ok(Hyper {
                value,
                bounds: bounds(b)?,
            })
        };
        Ok(match name.as_str() {
            "RBF" => Kernel::Rbf(hyper("length_scale", "length_scale_bounds", 1.0)?),
            "Matern" => {
                let nu = value("nu", 1.5)?[0];
                if ![0.5, 1.5, 2.5, f64::INFINITY].contains(&nu) {
                    return Err(Error::not_supported(
                        format!("Matern nu {nu} is not supported by pgml yet (it needs the modified Bessel function)"),
                        "use nu 0.5, 1.5, 2.5 or inf",
                    ));
                }
                Kernel::Matern(hyper("length_scale", "length_scale_bounds", 1.0)?, nu)
            }
            "RationalQuadratic" => Kernel::RationalQuadratic(
                hyper("length_scale", "length_scale_bounds", 1.0)?,
                hyper("alpha", "alpha_bounds", 1.0)?,
            ),
            "DotProduct" => Kernel::DotProduct(hyper("sigma_0", "sigma_0_bounds", 1.0)?),
            "WhiteKernel" => Kernel::White(hyper("noise_level", "noise_level_bounds", 1.0)?),
            _ => Kernel::Constant(hyper("constant_value", "constant_value_bounds", 1.0)?),
        })
    }

    /// `(a, name=b, ...)` against the kernel's parameter names.
    fn args(&mut self, params: &[&str]) -> Result<Vec<(String, Arg)>> {
        let mut out: Vec<(String, Arg)> = Vec::new();
        if !self.eat(b'(') {
            return Err(self.error("expected ("));
        }
        if self.eat(b')') {
            return Ok(out);
        }
        loop {
            let save = self.i;
            let name = self.name();
            let key = if !name.is_empty() && name != "inf" && self.eat(b'=') {
                if !params.contains(&name.as_str()) {
                    return Err(self.error(&format!(
                        "unknown argument {name} (known: {})",
                        params.join(", ")
                    )));
                }
                name
            } else {
                self.i = save;
                match params.get(out.len()) {
                    Some(p) => p.to_string(),
                    None => return Err(self.error("too many arguments")),
                }
            };
            if out.iter().any(|(n, _)| *n == key) {
                return Err(self.error(&format!("{key} given twice")));
            }
            let arg = self.arg()?;
            out.push((key, arg));
            if self.eat(b')') {
                return Ok(out);
            }
            if !self.eat(b',') {
                return Err(self.error("expected , or )"));
            }
        }
    }

    fn arg(&mut self) -> Result<Arg> {
        self.ws();
        if self.eat(b'"') || self.eat(b'\'') {
            let quote = self.s[self.i - 1];
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != quote {
                self.i += 1;
            }
            let word = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
            self.i += 1;
            return if word == "fixed" {
                Ok(Arg::Fixed)
            } else {
                Err(self.error("the only text argument is \"fixed\""))
            };
        }
        if self.eat(b'(') || self.eat(b'[') {
            let close = if self.s[self.i - 1] == b'(' {
                b')'
            } else {
                b']'
            };
            let mut v = Vec::new();
            loop {
                match self.number() {
                    Some(x) => v.push(x),
                    None => return Err(self.error("expected a number")),
                }
                if self.eat(close) {
                    return Ok(Arg::List(v));
                }
                if !self.eat(b',') {
                    return Err(self.error("expected , in a list"));
                }
            }
        }
        let save = self.i;
        if self.name() == "inf" {
            return Ok(Arg::Number(f64::INFINITY));
        }
        self.i = save;
        self.number()
            .map(Arg::Number)
            .ok_or_else(|| self.error("expected a number"))
    }
}

fn positive(v: f64, p: &Parser<'_>) -> Result<f64> {
    if v > 0.0 {
        Ok(v)
    } else {
        Err(p.error("a constant must be positive"))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Number(f64),
    List(Vec<f64>),
    Fixed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scikit_learns_syntax() {
        let k =
            parse("1.0 * RBF(length_scale=2.0, length_scale_bounds=\"fixed\") + WhiteKernel(0.1)")
                .unwrap();
        let mut theta = Vec::new();
        k.theta(&mut theta);
        // The constant and the noise are optimized, the fixed length scale is not.
        assert_eq!(theta.len(), 2);
        let a = [0.0, 0.0];
        let b = [2.0, 0.0];
        let v = k.eval(&a, &b, false);
        assert!((v - (-0.5f64).exp()).abs() < 1e-12, "{v}");
        assert!((k.eval(&a, &a, true) - 1.1).abs() < 1e-12);
        let m = parse(
            "C(2.0, (1e-3, 1e3)) * Matern(length_scale=[1.0, 2.0], nu=2.5) + DotProduct(sigma_0=1)",
        )
        .unwrap();
        m.check(2).unwrap();
        assert!(m.check(3).is_err());
        let r = parse("RationalQuadratic(length_scale=1.0, alpha=0.5)").unwrap();
        assert!((r.eval(&[0.0], &[1.0], false) - 2f64.powf(-0.5)).abs() < 1e-12);
        for bad in [
            "RBF(",
            "Nope()",
            "RBF(length_scale=-1)",
            "RBF(scale=1)",
            "1.0 *",
            "RBF(1.0) RBF()",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { .. }), "{bad}: {e}");
            assert!(e.hint().unwrap().contains("RBF, Matern"), "{bad}");
        }
        assert!(matches!(
            parse("Matern(nu=0.7)"),
            Err(Error::NotSupported { .. })
        ));
    }

    #[test]
    fn theta_round_trips() {
        let mut k = parse("C(1.0) * RBF([1.0, 3.0])").unwrap();
        let mut theta = Vec::new();
        k.theta(&mut theta);
        let t: Vec<f64> = theta.iter().map(|(v, _)| v + 1.0).collect();
        assert_eq!(k.set_theta(&t), 3);
        let mut again = Vec::new();
        k.theta(&mut again);
        for (a, b) in again.iter().zip(&t) {
            assert!((a.0 - b).abs() < 1e-12);
        }
    }
}
