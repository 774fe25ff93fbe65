"""Every resource type the stacks make, through the service that owns it: created with what the template
says, changed in place by an update, gone after the stack is deleted (the pipeline's own template is
deployed in tests/infra/test_provision.py and tests/endpoint/cloudformation/test_cli.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.cloudformation.helpers import FAST, create, events, outputs

from awstwin.endpoint.cloudformation.resources import NOT_LOCAL, RESOURCE_TYPES

pytestmark = pytest.mark.slow  # one stack of every type, updated and deleted: about 25 s

TEMPLATE = """
Parameters:
  Prefix: {{Type: String}}
  Say: {{Type: String, Default: hello}}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${{Prefix}}-bucket
      VersioningConfiguration: {{Status: Enabled}}
      Tags: [{{Key: team, Value: data}}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub ${{Prefix}}-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Principal: {{Service: glue.amazonaws.com}}, Action: "sts:AssumeRole"}}]
  Inline:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: read-bucket
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Action: "s3:GetObject", Resource: !Sub "${{Bucket.Arn}}/{inline_path}"}}]
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Action: "glue:GetTable", Resource: "*"}}]
  Connection:
    Type: AWS::Glue::Connection
    Properties:
      CatalogId: !Ref AWS::AccountId
      ConnectionInput:
        Name: !Sub ${{Prefix}}-jdbc
        ConnectionType: JDBC
        ConnectionProperties:
          {{JDBC_CONNECTION_URL: "jdbc:postgresql://127.0.0.1:5439/dev", USERNAME: u, PASSWORD: p}}
  Classifier:
    Type: AWS::Glue::Classifier
    Properties:
      CsvClassifier: {{Name: !Sub "${{Prefix}}-csv", Delimiter: ";", ContainsHeader: PRESENT}}
  Job:
    Type: AWS::Glue::Job
    Properties:
      Name: !Sub ${{Prefix}}-job
      Description: !Ref Say
      Role: !GetAtt Role.Arn
      GlueVersion: "5.0"
      WorkerType: G.1X
      NumberOfWorkers: "2"
      Timeout: 10
      Command: {{Name: glueetl, ScriptLocation: !Sub "s3://${{Bucket}}/job.py", PythonVersion: "3"}}
      Connections: {{Connections: [!Ref Connection]}}
      DefaultArguments: {{"--say": !Ref Say, "--retries": 3}}
      Tags: {{team: data}}
  # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-dataqualityruleset.html
  # No Name: CloudFormation names it. Tags are CloudFormation's Json type (an object).
  Ruleset:
    Type: AWS::Glue::DataQualityRuleset
    Properties:
      Description: !Ref Say
      Ruleset: 'Rules = [ RowCount > 0, IsComplete "id" ]'
      TargetTable: {{DatabaseName: db, TableName: t}}
      Tags: {{team: data}}
  Parameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub /twin/${{Prefix}}/say
      Type: String
      Value: !Ref Say
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {{PasswordLength: 20, ExcludePunctuation: true}}
  WorkGroup:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: !Sub ${{Prefix}}-wg
      State: DISABLED
      Tags: [{{Key: team, Value: data}}]
Outputs:
  RoleArn: {{Value: !GetAtt Role.Arn}}
  RoleId: {{Value: !GetAtt Role.RoleId}}
  ManagedArn: {{Value: !Ref Managed}}
  SecretArn: {{Value: !Ref Secret}}
  SayValue: {{Value: !GetAtt Parameter.Value}}
  RulesetName: {{Value: !Ref Ruleset}}
  RulesetId: {{Value: !GetAtt Ruleset.Id}}
"""


def _body(inline_path: str = "*") -> str:
    return TEMPLATE.format(inline_path=inline_path)


def _params(prefix: str, say: str = "hello") -> list[dict[str, str]]:
    return [
        {"ParameterKey": "Prefix", "ParameterValue": prefix},
        {"ParameterKey": "Say", "ParameterValue": say},
    ]


def test_each_type_is_made_changed_and_removed_by_its_service(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    stack = create(cfn, name, _body(), Parameters=_params(name), Capabilities=["CAPABILITY_NAMED_IAM"])
    assert stack["StackStatus"] == "CREATE_COMPLETE", events(cfn, stack["StackId"])
    out = outputs(stack)
    s3, iam, glue, ssm = aws("s3"), aws("iam"), aws("glue"), aws("ssm")
    assert s3.get_bucket_versioning(Bucket=f"{name}-bucket")["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket=f"{name}-bucket")["TagSet"] == [{"Key": "team", "Value": "data"}]
    role = iam.get_role(RoleName=f"{name}-role")["Role"]
    assert (out["RoleArn"], out["RoleId"]) == (role["Arn"], role["RoleId"])
    inline = iam.get_role_policy(RoleName=f"{name}-role", PolicyName="read-bucket")["PolicyDocument"]
    inline = json.loads(inline) if isinstance(inline, str) else inline
    assert inline["Statement"][0]["Resource"] == f"arn:aws:s3:::{name}-bucket/*"
    attached = iam.list_attached_role_policies(RoleName=f"{name}-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [out["ManagedArn"]]
    assert out["ManagedArn"].startswith(f"arn:aws:iam::123456789012:policy/{name}-Managed-")
    connection = glue.get_connection(Name=f"{name}-jdbc", HidePassword=False)["Connection"]
    assert connection["ConnectionProperties"]["USERNAME"] == "u"
    classifier = glue.get_classifier(Name=f"{name}-csv")["Classifier"]["CsvClassifier"]
    assert (classifier["Delimiter"], classifier["ContainsHeader"]) == (";", "PRESENT")
    job = glue.get_job(JobName=f"{name}-job")["Job"]
    assert job["NumberOfWorkers"] == 2 and job["Timeout"] == 10  # "2" fitted to the API's integer
    assert job["DefaultArguments"] == {"--say": "hello", "--retries": "3"}
    assert job["Connections"] == {"Connections": [f"{name}-jdbc"]} and job["Role"] == role["Arn"]
    assert glue.get_tags(ResourceArn=f"arn:aws:glue:us-east-1:123456789012:job/{name}-job")["Tags"] == {
        "team": "data"
    }
    assert ssm.get_parameter(Name=f"/twin/{name}/say")["Parameter"]["Value"] == out["SayValue"] == "hello"
    secret = aws("secretsmanager").get_secret_value(SecretId=out["SecretArn"])["SecretString"]
    assert len(secret) == 20 and secret.isalnum()
    assert (
        aws("secretsmanager").describe_secret(SecretId=out["SecretArn"])["Name"].startswith(f"{name}-Secret-")
    )
    workgroup = aws("athena").get_work_group(WorkGroup=f"{name}-wg")["WorkGroup"]
    assert workgroup["State"] == "DISABLED"
    ruleset_name = out["RulesetName"]
    assert ruleset_name.startswith(f"{name}-Ruleset-") and out["RulesetId"] == ruleset_name
    ruleset = glue.get_data_quality_ruleset(Name=ruleset_name)
    assert ruleset["TargetTable"] == {"DatabaseName": "db", "TableName": "t"}
    assert ruleset["Description"] == "hello" and "IsComplete" in ruleset["Ruleset"]
    ruleset_arn = f"arn:aws:glue:us-east-1:123456789012:dataQualityRuleset/{ruleset_name}"
    assert glue.get_tags(ResourceArn=ruleset_arn)["Tags"] == {"team": "data"}

    cfn.update_stack(
        StackName=name,
        TemplateBody=_body("raw/*"),
        Parameters=_params(name, "bye"),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    assert glue.get_job(JobName=f"{name}-job")["Job"]["Description"] == "bye"
    assert glue.get_data_quality_ruleset(Name=ruleset_name)["Description"] == "bye"
    assert ssm.get_parameter(Name=f"/twin/{name}/say")["Parameter"]["Value"] == "bye"
    inline = iam.get_role_policy(RoleName=f"{name}-role", PolicyName="read-bucket")["PolicyDocument"]
    inline = json.loads(inline) if isinstance(inline, str) else inline
    assert inline["Statement"][0]["Resource"] == f"arn:aws:s3:::{name}-bucket/raw/*"
    updated = {lid for lid, status, _ in events(cfn, name) if status == "UPDATE_COMPLETE" and lid != name}
    assert updated == {"Inline", "Job", "Parameter", "Ruleset"}  # only what the new values reach
    assert aws("secretsmanager").get_secret_value(SecretId=out["SecretArn"])["SecretString"] == secret

    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    gone: list[Callable[[], Any]] = [
        lambda: s3.head_bucket(Bucket=f"{name}-bucket"),
        lambda: iam.get_role(RoleName=f"{name}-role"),
        lambda: iam.get_policy(PolicyArn=out["ManagedArn"]),
        lambda: glue.get_connection(Name=f"{name}-jdbc"),
        lambda: glue.get_classifier(Name=f"{name}-csv"),
        lambda: glue.get_job(JobName=f"{name}-job"),
        lambda: glue.get_data_quality_ruleset(Name=ruleset_name),
        lambda: ssm.get_parameter(Name=f"/twin/{name}/say"),
        lambda: aws("secretsmanager").describe_secret(SecretId=out["SecretArn"]),
        lambda: aws("athena").get_work_group(WorkGroup=f"{name}-wg"),
    ]
    for call in gone:
        with pytest.raises(ClientError):
            call()


def test_the_table_of_types_is_consistent() -> None:
    """A type is made locally or served by other means, never both; every row can be deleted."""
    assert not set(RESOURCE_TYPES) & set(NOT_LOCAL)
    for type_name, kind in RESOURCE_TYPES.items():
        assert kind.delete, type_name
        assert kind.update is not None or type_name == "AWS::Athena::NamedQuery", type_name
