"""The Python service a team would otherwise run: Flask + XGBoost, one model loaded at start,
POST /predict with {"features": [...]} answers {"prediction": ...}.

The model is the very booster pgml trained (exported from pgml.files as xgboost.json), so both
sides compute the same trees.
"""
import os

import numpy as np
import xgboost
from flask import Flask, jsonify, request

booster = xgboost.Booster()
booster.load_model(os.environ["MODEL_PATH"])
booster.set_param({"nthread": 1})
app = Flask(__name__)


@app.post("/predict")
def predict():
    features = np.asarray(request.get_json()["features"], dtype=np.float32).reshape(1, -1)
    value = float(booster.predict(xgboost.DMatrix(features))[0])
    return jsonify({"prediction": value})
