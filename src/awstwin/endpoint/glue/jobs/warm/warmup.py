"""What a new warm driver runs once before its first job run: the kinds of work a Glue job does, so
that Spark's classes are loaded and its hot code compiled when the real run comes (a cold JVM runs its
first jobs several times slower). Run like a job script (`bootstrap.py warmup.py FOLDER`); it writes
only under FOLDER and leaves nothing behind in the JVM.
"""

import shutil
import sys
from pathlib import Path

from pyspark import SparkContext
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

ROWS = 20_000


def main() -> None:
    run(Path(sys.argv[1]))


def run(folder: Path) -> None:
    """The workload, in `folder` (removed at the end); also what the Spark class archive is made of."""
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "warmup.csv"
    with csv.open("w") as out:
        out.write("id,name,score,category\n")
        for i in range(ROWS):
            out.write(f"{i}, name{i} ,{i % 101},{'abc'[i % 3]}\n")
    sc = SparkContext.getOrCreate()
    spark = SparkSession.builder.getOrCreate()
    raw = spark.read.option("header", "true").csv(str(csv))
    text = F.expr("trim(BOTH ' ' FROM name)")
    keyed = raw.withColumn("_content", F.sha2(F.concat_ws("|", *raw.columns), 256)).withColumn(
        "n", F.row_number().over(Window.partitionBy("_content").orderBy("_content"))
    )
    checked = keyed.select(
        "*",
        F.when(text == "", F.lit(None)).otherwise(text).alias("clean"),
        F.when(~F.col("score").rlike("^[0-9]+$"), F.lit("not_an_integer")).alias("problem"),
        F.col("score").cast("decimal(38,0)").cast("int").alias("typed"),
        F.create_map(F.lit("a"), F.lit("A"))[F.lower("category")].alias("known"),
    ).cache()
    checked.groupBy("problem").count().collect()
    checked.filter(F.col("typed") > 50).write.mode("overwrite").parquet(str(folder / "parquet"))
    checked.coalesce(1).write.mode("overwrite").option("header", "false").csv(str(folder / "csv"))
    spark.read.parquet(str(folder / "parquet")).agg(F.sum("typed"), F.count("*")).collect()
    checked.unpersist()
    sc.parallelize(range(100), 2).map(lambda x: x * 2).sum()  # a Python worker, once
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
