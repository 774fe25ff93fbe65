"""The option lists of COPY and UNLOAD, read from tokens into a dict (names upper case).

Each option's shape is data: how many values follow it, and which words may stand in for a value.
COPY: https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
UNLOAD: https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html
"""

from __future__ import annotations

from sqlglot.tokens import TokenType

from awstwin.redshift.translate import Statement, TranslateError

FLAG = 0
VALUE = 1
OPTIONAL = 2  # a value may follow (a string or number)

SHAPES = {
    # authorization
    "IAM_ROLE": VALUE,
    "CREDENTIALS": VALUE,
    "WITH": FLAG,
    "ACCESS_KEY_ID": VALUE,
    "SECRET_ACCESS_KEY": VALUE,
    "SESSION_TOKEN": VALUE,
    "REGION": VALUE,
    "MASTER_SYMMETRIC_KEY": VALUE,
    "ENCRYPTED": FLAG,
    "KMS_KEY_ID": VALUE,
    # formats
    "FORMAT": FLAG,
    "CSV": FLAG,
    "PARQUET": FLAG,
    "ORC": FLAG,
    "JSON": OPTIONAL,
    "AVRO": OPTIONAL,
    "SHAPEFILE": FLAG,
    "FIXEDWIDTH": VALUE,
    "QUOTE": VALUE,
    "DELIMITER": VALUE,
    "EXTENSION": VALUE,
    # data
    "IGNOREHEADER": VALUE,
    "NULL": VALUE,
    "EMPTYASNULL": FLAG,
    "BLANKSASNULL": FLAG,
    "DATEFORMAT": VALUE,
    "TIMEFORMAT": VALUE,
    "TRUNCATECOLUMNS": FLAG,
    "ACCEPTINVCHARS": OPTIONAL,
    "ACCEPTANYDATE": FLAG,
    "TRIMBLANKS": FLAG,
    "REMOVEQUOTES": FLAG,
    "ESCAPE": FLAG,
    "ROUNDEC": FLAG,
    "FILLRECORD": FLAG,
    "IGNOREBLANKLINES": FLAG,
    "EXPLICIT_IDS": FLAG,
    "ENCODING": VALUE,
    "SERIALIZETOJSON": FLAG,
    # files
    "GZIP": FLAG,
    "BZIP2": FLAG,
    "ZSTD": FLAG,
    "LZOP": FLAG,
    "MANIFEST": OPTIONAL,
    "MAXERROR": VALUE,
    "COMPUPDATE": OPTIONAL,
    "STATUPDATE": OPTIONAL,
    "NOLOAD": FLAG,
    "READRATIO": VALUE,
    # UNLOAD
    "HEADER": FLAG,
    "ADDQUOTES": FLAG,
    "PARALLEL": OPTIONAL,
    "MAXFILESIZE": VALUE,
    "ALLOWOVERWRITE": FLAG,
    "CLEANPATH": FLAG,
    "PARTITION": FLAG,
    "BY": FLAG,
    "INCLUDE": FLAG,
    "ROWGROUPSIZE": VALUE,
}
WORD_VALUES = {
    "ON",
    "OFF",
    "TRUE",
    "FALSE",
    "PRESET",
    "DEFAULT",
    "VERBOSE",
    "AUTO",
    "MB",
    "GB",
    "K",
    "M",
    "G",
}


def read_options(statement: Statement, index: int) -> dict[str, object]:
    """Options from token `index` on. Values are strings; flags are True; PARTITION BY gives a list."""
    found: dict[str, object] = {}
    tokens = statement.tokens
    while index < len(tokens):
        word = statement.word(index)
        if word == "PARTITION BY":  # one token for sqlglot
            word, index = "PARTITION", index - 1
        if word not in SHAPES:
            token = tokens[index]
            raise TranslateError(f'syntax error at or near "{token.text}" (position {token.start + 1})')
        index += 1
        if (
            word == "PARTITION"
            and statement.word(index) in ("BY", "PARTITION BY")
            and statement.word(index + 1) == "("
        ):
            close = statement.matching(index + 1)
            found["PARTITION BY"] = [
                token.text.lower() if token.token_type != TokenType.IDENTIFIER else token.text
                for token in tokens[index + 2 : close]
                if token.token_type != TokenType.COMMA
            ]
            index = close + 1
            if statement.word(index) == "INCLUDE":
                found["PARTITION INCLUDE"] = True
                index += 1
            continue
        if statement.word(index) == "AS":
            index += 1
        shape = SHAPES[word]
        value_token = tokens[index] if index < len(tokens) else None
        is_value = value_token is not None and (
            value_token.token_type in (TokenType.STRING, TokenType.NUMBER)
            or statement.word(index) in WORD_VALUES
        )
        if shape == VALUE or (shape == OPTIONAL and is_value):
            if value_token is None:
                raise TranslateError(f"{word} needs a value")
            value = value_token.text
            index += 1
            if statement.word(index) in ("MB", "GB"):  # MAXFILESIZE 100 MB
                value += " " + statement.word(index)
                index += 1
            found[word] = value
        else:
            found[word] = True
    return found
