#!/usr/bin/env python3
# Generates crates/pgml-core/src/algorithms/lightgbm_params.rs: LightGBM's parameter names and aliases
# from LightGBM 4.7.0 itself (the PyPI package), with types, ranges and defaults from LightGBM's
# docs/Parameters.rst. Run: /opt/skl/bin/python benches/lightgbm_params.py > crates/pgml-core/src/algorithms/lightgbm_params.rs
# (then cargo fmt); with --docs it prints the parameter list of lightgbm's row in docs/sql-reference.md. It fails when LightGBM has a parameter this table does not place.
import json
from lightgbm.basic import _ConfigAliases
A = _ConfigAliases._get_all_param_aliases()
INF = float("inf")
def F(lo, hi, excl, d): return ("float", lo, hi, excl, d)
def I(lo, hi, d): return ("int", lo, hi, d)
def B(d): return ("bool", d)
def C(opts, d): return ("choice", opts, d)
def T(what): return ("text", what)
OBJ = ["regression","regression_l2","l2","mean_squared_error","mse","l2_root","root_mean_squared_error","rmse",
       "regression_l1","l1","mean_absolute_error","mae","huber","fair","poisson","quantile","mape",
       "mean_absolute_percentage_error","gamma","tweedie","binary","multiclass","softmax","multiclassova",
       "multiclass_ova","ova","ovr"]
IMAX = "i32::MAX as i64"
S = {
 "objective": ("objective",),
 "boosting": C(["gbdt","gbrt","rf","random_forest","dart"], "gbdt"),
 "data_sample_strategy": C(["bagging","goss"], "bagging"),
 "num_iterations": I(1, 1_000_000, 100),
 "learning_rate": F(0.0, INF, True, 0.1),
 "num_leaves": I(2, 131072, 31),
 "num_threads": I(0, 1024, 0),
 "deterministic": B(False),
 "force_col_wise": B(False),
 "force_row_wise": B(False),
 "max_depth": I(-1, 1024, -1),
 "min_data_in_leaf": I(0, IMAX, 20),
 "min_sum_hessian_in_leaf": F(0.0, INF, False, 1e-3),
 "bagging_fraction": F(0.0, 1.0, True, 1.0),
 "pos_bagging_fraction": F(0.0, 1.0, True, 1.0),
 "neg_bagging_fraction": F(0.0, 1.0, True, 1.0),
 "bagging_freq": I(0, IMAX, 0),
 "bagging_seed": I(-2**31, IMAX, 3),
 "feature_fraction": F(0.0, 1.0, True, 1.0),
 "feature_fraction_bynode": F(0.0, 1.0, True, 1.0),
 "feature_fraction_seed": I(-2**31, IMAX, 2),
 "extra_trees": B(False),
 "extra_seed": I(-2**31, IMAX, 6),
 "max_delta_step": F(-INF, INF, False, 0.0),
 "lambda_l1": F(0.0, INF, False, 0.0),
 "lambda_l2": F(0.0, INF, False, 0.0),
 "min_gain_to_split": F(0.0, INF, False, 0.0),
 "drop_rate": F(0.0, 1.0, False, 0.1),
 "max_drop": I(-2**31, IMAX, 50),
 "skip_drop": F(0.0, 1.0, False, 0.5),
 "xgboost_dart_mode": B(False),
 "uniform_drop": B(False),
 "drop_seed": I(-2**31, IMAX, 4),
 "top_rate": F(0.0, 1.0, False, 0.2),
 "other_rate": F(0.0, 1.0, False, 0.1),
 "min_data_per_group": I(1, IMAX, 100),
 "max_cat_threshold": I(1, IMAX, 32),
 "cat_l2": F(0.0, INF, False, 10.0),
 "cat_smooth": F(0.0, INF, False, 10.0),
 "max_cat_to_onehot": I(1, IMAX, 4),
 "top_k": I(1, IMAX, 20),
 "monotone_constraints": T("a list of -1, 0 or 1 per feature, e.g. [1, 0, -1]"),
 "monotone_constraints_method": C(["basic","intermediate","advanced"], "basic"),
 "monotone_penalty": F(0.0, INF, False, 0.0),
 "feature_contri": T("a list of one penalty per feature, e.g. [1.0, 0.5]"),
 "refit_decay_rate": F(0.0, 1.0, False, 0.9),
 "cegb_tradeoff": F(0.0, INF, False, 1.0),
 "cegb_penalty_split": F(0.0, INF, False, 0.0),
 "cegb_penalty_feature_lazy": T("a list of one penalty per feature"),
 "cegb_penalty_feature_coupled": T("a list of one penalty per feature"),
 "path_smooth": F(0.0, INF, False, 0.0),
 "interaction_constraints": T("a list of lists of feature indexes, e.g. [[0, 1], [2, 3]]"),
 "verbosity": I(-2**31, IMAX, -1),
 "seed": I(-2**31, IMAX, None),
 "use_quantized_grad": B(False),
 "num_grad_quant_bins": I(2, 255, 4),
 "quant_train_renew_leaf": B(False),
 "stochastic_rounding": B(True),
 "max_bin": I(2, 65535, 255),
 "max_bin_by_feature": T("a list of one bin count per feature"),
 "min_data_in_bin": I(1, IMAX, 3),
 "bin_construct_sample_cnt": I(1, IMAX, 200000),
 "data_random_seed": I(-2**31, IMAX, 1),
 "is_enable_sparse": B(True),
 "enable_bundle": B(True),
 "use_missing": B(True),
 "zero_as_missing": B(False),
 "feature_pre_filter": B(True),
 "objective_seed": I(-2**31, IMAX, 5),
 "num_class": I(1, IMAX, 1),
 "is_unbalance": B(False),
 "scale_pos_weight": F(0.0, INF, True, 1.0),
 "sigmoid": F(0.0, INF, True, 1.0),
 "boost_from_average": B(True),
 "reg_sqrt": B(False),
 "alpha": F(0.0, INF, True, 0.9),
 "fair_c": F(0.0, INF, True, 1.0),
 "poisson_max_delta_step": F(0.0, INF, True, 0.7),
 "tweedie_variance_power": F(1.0, 2.0, False, 1.5),
 "metric": T("LightGBM metric names, e.g. \"l2\" or [\"l2\", \"l1\"] (pgml scores the test split itself)"),
 "is_provide_training_metric": B(False),
 "first_metric_only": B(False),
 "metric_freq": I(1, IMAX, 1),
 "multi_error_top_k": I(1, IMAX, 1),
 "saved_feature_importance_type": I(0, 1, 0),
 "histogram_pool_size": F(-INF, INF, False, -1.0),
 "device_type": C(["cpu"], "cpu"),
 "tree_learner": C(["serial"], "serial"),
}
# Why each LightGBM parameter outside the table is refused.
WHY = {
 "files": "pgml reads the data from the relation and keeps the model in pgml.files",
 "net": "pgml trains LightGBM on one server",
 "gpu": "pgml trains on the CPU",
 "predict": "pgml predicts in Rust from the trees; it takes no prediction parameters",
 "rank": "pgml has no ranking task",
 "cat": "text columns are encoded by pgml: see preprocess (one_hot, ordinal, target)",
 "es": "early stopping needs a validation set, which lightgbm in pgml does not hold out yet",
 "linear": "linear trees are not evaluated by pgml's tree evaluator",
}
R = {}
for k in ["config","task","data","valid","input_model","output_model","output_result","snapshot_freq","save_binary",
          "header","label_column","weight_column","group_column","ignore_column","forcedbins_filename",
          "forcedsplits_filename","precise_float_parser","parser_config_file","convert_model","convert_model_language",
          "two_round","pre_partition"]: R[k] = "files"
for k in ["num_machines","local_listen_port","time_out","machine_list_filename","machines"]: R[k]="net"
for k in ["gpu_platform_id","gpu_device_id","gpu_device_id_list","gpu_use_dp","num_gpu"]: R[k]="gpu"
for k in ["start_iteration_predict","num_iteration_predict","predict_raw_score","predict_leaf_index","predict_contrib",
          "predict_disable_shape_check","pred_early_stop","pred_early_stop_freq","pred_early_stop_margin"]: R[k]="predict"
for k in ["lambdarank_truncation_level","lambdarank_norm","label_gain","lambdarank_position_bias_regularization",
          "bagging_by_query","eval_at","auc_mu_weights"]: R[k]="rank"
for k in ["categorical_feature"]: R[k]="cat"
for k in ["early_stopping_round","early_stopping_min_delta"]: R[k]="es"
for k in ["linear_tree","linear_lambda"]: R[k]="linear"
missing = [k for k in A if k not in S and k not in R]
assert not missing, missing
extra = [k for k in list(S)+list(R) if k not in A]
assert not extra, extra

def lit(v):
    if v == INF: return "INF"
    if v == -INF if isinstance(v,str) else False: return "-INF"
    return repr(v)
def fnum(v):
    if v == INF: return "INF"
    if v == -INF: return "-INF"
    return repr(float(v))
def kind(k, with_default):
    t = k[0]
    if t == "float":
        _, lo, hi, ex, d = k
        dd = f"DefaultValue::Float({fnum(d)})" if with_default and d is not None else "DefaultValue::Null"
        return f"float(NAME, {fnum(lo)}, {fnum(hi)}, {str(ex).lower()}, {dd})"
    if t == "int":
        _, lo, hi, d = k
        dd = f"DefaultValue::Int({d})" if with_default and d is not None else "DefaultValue::Null"
        return f"int(NAME, {lo}, {hi}, {dd})"
    if t == "bool":
        dd = f"DefaultValue::Bool({str(k[1]).lower()})" if with_default else "DefaultValue::Null"
        return f"flag(NAME, {dd})"
    if t == "choice":
        opts = ", ".join(json.dumps(o) for o in k[1])
        dd = f"DefaultValue::Str({json.dumps(k[2])})" if with_default and k[2] is not None else "DefaultValue::Null"
        return f"choice(NAME, &[{opts}], {dd})"
    if t == "objective":
        dd = "DefaultValue::Null"
        return f"choice(NAME, OBJECTIVES, {dd})"
    if t == "text":
        return f"text(NAME, {json.dumps(k[1])})"
out = []
out.append("//! LightGBM's parameters for `lightgbm`.\n//!\n//! @generated by benches/lightgbm_params.py from LightGBM 4.7.0's own alias list\n//! (lightgbm.basic._ConfigAliases); types, ranges and defaults from LightGBM's docs/Parameters.rst.\n\nuse super::params::{choice, float, int, INF};\nuse super::lightgbm::{flag, refused, text};\nuse crate::hyperparams::{DefaultValue, Param};\n")
out.append("/// LightGBM's objectives for regression and classification (and their aliases).\npub(super) const OBJECTIVES: &[&str] = &[" + ", ".join(json.dumps(o) for o in OBJ) + "];\n")
out.append("/// Every LightGBM parameter pgml hands to LightGBM: the main name with LightGBM's default, then its\n/// aliases (default none, so that two names of one parameter given together are caught).\npub(super) const PARAMS: &[Param] = &[")
groups = []
for name, k in S.items():
    aliases = [a for a in A[name] if a != name]
    if name == "num_threads":
        # pgml's thread cap (pgml.training_threads) reads nthread, XGBoost's name, which is one of
        # LightGBM's aliases: it carries the default here, num_threads is the alias.
        aliases = [a for a in A[name] if a != "nthread"]
        name_shown = "nthread"
    else:
        name_shown = name
    out.append("    " + kind(k, True).replace("NAME", json.dumps(name_shown)) + ",")
    for a in aliases:
        out.append("    " + kind(k, False).replace("NAME", json.dumps(a)) + ",")
    groups.append((name_shown, aliases))
# The scikit-learn wrapper's (LGBMRegressor's) own argument, which PostgresML users pass: which
# importance pgml.feature_importances shows (LightGBM's native name is saved_feature_importance_type).
out.append('    choice("importance_type", &["split", "gain"], DefaultValue::Null),')
for name, why in R.items():
    for a in A[name]:
        out.append(f"    refused({json.dumps(a)}),")
out.append("];\n")
out.append("/// Each parameter of [`PARAMS`] with its aliases, as LightGBM lists them.\npub(super) const ALIASES: &[(&str, &[&str])] = &[")
for name, aliases in groups:
    out.append(f"    ({json.dumps(name)}, &[{', '.join(json.dumps(a) for a in aliases)}]),")
out.append("];\n")
out.append("/// LightGBM's parameters pgml refuses, each name (and alias) with the reason.\npub(super) const REFUSED: &[(&str, &str)] = &[")
for name, why in R.items():
    for a in A[name]:
        out.append(f"    ({json.dumps(a)}, {json.dumps(WHY[why])}),")
out.append("];")
import sys
if "--docs" not in sys.argv:
    print("\n".join(out))


def docs_cell():
    """The parameter list of lightgbm's row in docs/sql-reference.md (`--docs`)."""
    parts = []
    for name, k in S.items():
        shown = "nthread" if name == "num_threads" else name
        aliases = [a for a in A[name] if a != shown]
        d = k[-1] if k[0] in ("float", "int", "bool", "choice") else None
        if k[0] == "objective":
            d = None
        dflt = "" if d is None else (str(d).lower() if isinstance(d, bool) else (f"'{d}'" if isinstance(d, str) else repr(d)))
        inner = ", ".join(f"`{a}`" for a in aliases)
        bits = [b for b in [dflt, ("aliases " + inner) if inner else ""] if b]
        parts.append(f"`{shown}`" + (f" ({'; '.join(bits)})" if bits else ""))
    refused = ", ".join(f"`{a}`" for name in R for a in A[name])
    return ("every LightGBM parameter by its name, with LightGBM's default and its aliases: " + ", ".join(parts)
            + "; `importance_type` ('split' or 'gain'); refused (0A000): " + refused)


if "--docs" in sys.argv:
    print(docs_cell())
