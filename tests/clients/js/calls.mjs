// The AWS SDK for JavaScript v3 against the local endpoint, configured the standard way
// (AWS_ENDPOINT_URL, AWS_REGION, test credentials in the environment): S3 put / get / list, a Glue
// database, table and crawler that crawls, and an Athena query read back from its results.
// Run by tests/clients/test_js_sdk.py:   node calls.mjs <unique suffix>
// Prints one JSON report as its last line; any failure exits non-zero with the SDK's own error.

import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import {
  GlueClient,
  CreateDatabaseCommand,
  CreateTableCommand,
  GetTableCommand,
  CreateCrawlerCommand,
  StartCrawlerCommand,
  GetCrawlerCommand,
  GetTablesCommand,
} from "@aws-sdk/client-glue";
import {
  AthenaClient,
  StartQueryExecutionCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
} from "@aws-sdk/client-athena";

const suffix = process.argv[2];
const bucket = `js-${suffix}`;
const database = `js_${suffix}`;
const report = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// S3 on a local address needs path-style requests, as with any S3-compatible endpoint
const s3 = new S3Client({ forcePathStyle: true });
await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const csv = "student,score\nada,90\nbob,70\ncy,85\n";
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "raw/scores/part-0.csv", Body: csv }));
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "raw/scores/part-0.csv" }));
report.s3Body = await got.Body.transformToString();
const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "raw/" }));
report.s3Keys = (listed.Contents ?? []).map((item) => item.Key);

const glue = new GlueClient({});
await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: database } }));
await glue.send(
  new CreateTableCommand({
    DatabaseName: database,
    TableInput: {
      Name: "manual",
      TableType: "EXTERNAL_TABLE",
      Parameters: { classification: "csv", "skip.header.line.count": "1" },
      StorageDescriptor: {
        Location: `s3://${bucket}/raw/scores/`,
        Columns: [
          { Name: "student", Type: "string" },
          { Name: "score", Type: "int" },
        ],
        InputFormat: "org.apache.hadoop.mapred.TextInputFormat",
        OutputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        SerdeInfo: {
          SerializationLibrary: "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
          Parameters: { "field.delim": "," },
        },
      },
    },
  }),
);
const table = await glue.send(new GetTableCommand({ DatabaseName: database, Name: "manual" }));
report.tableColumns = table.Table.StorageDescriptor.Columns.map((c) => `${c.Name}:${c.Type}`);
report.tableCreated = table.Table.CreateTime instanceof Date;

await glue.send(
  new CreateCrawlerCommand({
    Name: `js-crawler-${suffix}`,
    Role: "arn:aws:iam::123456789012:role/glue",
    DatabaseName: database,
    TablePrefix: "crawled_",
    Targets: { S3Targets: [{ Path: `s3://${bucket}/raw/scores/` }] },
  }),
);
await glue.send(new StartCrawlerCommand({ Name: `js-crawler-${suffix}` }));
let crawler;
for (let i = 0; i < 600; i++) {
  crawler = (await glue.send(new GetCrawlerCommand({ Name: `js-crawler-${suffix}` }))).Crawler;
  if (crawler.State === "READY" && crawler.LastCrawl) break;
  await sleep(100);
}
report.crawlStatus = crawler.LastCrawl?.Status;
const tables = await glue.send(new GetTablesCommand({ DatabaseName: database }));
report.tables = tables.TableList.map((t) => t.Name).sort();

const athena = new AthenaClient({});
const started = await athena.send(
  new StartQueryExecutionCommand({
    QueryString: "SELECT count(*) AS n, max(score) AS best FROM crawled_scores",
    QueryExecutionContext: { Database: database },
    ResultConfiguration: { OutputLocation: `s3://${bucket}/athena/` },
  }),
);
let execution;
for (let i = 0; i < 600; i++) {
  execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: started.QueryExecutionId })))
    .QueryExecution;
  if (!["QUEUED", "RUNNING"].includes(execution.Status.State)) break;
  await sleep(100);
}
report.queryState = execution.Status.State;
report.queryReason = execution.Status.StateChangeReason ?? null;
const results = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: started.QueryExecutionId }));
report.rows = results.ResultSet.Rows.map((row) => row.Data.map((d) => d.VarCharValue ?? null));
report.columnTypes = results.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => c.Type);
const output = execution.ResultConfiguration.OutputLocation.replace(`s3://${bucket}/`, "");
const file = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: output }));
report.resultFile = await file.Body.transformToString();
console.log(JSON.stringify(report));
