"""Glue Data Quality on the endpoint: rulesets, evaluation runs that evaluate, and their results.

- `models.py`    the backend: rulesets, runs and results in one state file; recovery and shutdown
- `rulesets.py`  Create/Get/Update/Delete/ListDataQualityRuleset (DQDL checked when stored)
- `runs.py`      Start/Get/List/Cancel DataQualityRulesetEvaluationRun: a run reads the catalog table
                 and its AdditionalDataSources and evaluates each ruleset (`awstwin.dataquality`)
- `recommendations.py` Start/Get/List/Cancel DataQualityRuleRecommendationRun (profiles the table)
- `results.py`   Get/BatchGet/ListDataQualityResults, and results a job's EvaluateDataQuality publishes
- `tables.py`    a catalog table (pushDownPredicate / catalogPartitionPredicate) as a DuckDB view
"""
