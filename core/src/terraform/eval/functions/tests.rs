//! The library against Terraform's list of functions, and each function against the
//! examples in Terraform's documentation.

use crate::terraform::eval::expr::{Evaluator, Fatal, Resolver};
use hcl::Value;
use std::path::{Path, PathBuf};

struct Dir(PathBuf);

impl Resolver for Dir {
    fn var(&mut self, _: &str) -> Option<std::rc::Rc<Value>> {
        None
    }
    fn local(&mut self, _: &str) -> Result<Option<std::rc::Rc<Value>>, Fatal> {
        Ok(None)
    }
    fn module(&mut self, _: &str) -> Result<Option<std::rc::Rc<Value>>, Fatal> {
        Ok(None)
    }
    fn dirs(&self) -> (&Path, &Path) {
        (&self.0, &self.0)
    }
    fn unknown_because(&mut self, cause: String) {
        panic!("unexpected unknown: {cause}");
    }
}

fn eval_in(dir: &Path, src: &str) -> Value {
    let body: hcl::Body = hcl::parse(&format!("v = {src}")).unwrap_or_else(|e| panic!("{src}: {e}"));
    let e = body.attributes().next().unwrap().expr.clone();
    let mut r = Dir(dir.to_path_buf());
    Evaluator::new(&mut r).eval(&e).unwrap_or_else(|f| panic!("{src}: {f}"))
}

fn eval(src: &str) -> Value {
    eval_in(Path::new("."), src)
}

fn hcl(src: &str) -> Value {
    hcl::from_str::<hcl::Value>(&format!("v = {src}")).unwrap().as_object().unwrap()["v"].clone()
}

#[track_caller]
fn check(cases: &[(&str, &str)]) {
    for (expr, want) in cases {
        assert_eq!(eval(expr), hcl(want), "{expr}");
    }
}

#[test]
fn every_terraform_function_is_registered() {
    let list =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/terraform-functions.txt")).unwrap();
    let terraform: Vec<&str> = list.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert!(terraform.len() >= 120, "the list holds Terraform's functions: {}", terraform.len());
    let missing: Vec<&&str> = terraform.iter().filter(|n| super::lookup(n).is_none()).collect();
    assert!(missing.is_empty(), "not in driftd's registry: {missing:?}");
    let extra: Vec<&str> = super::names().into_iter().filter(|n| !terraform.contains(n)).collect();
    assert!(extra.is_empty(), "not Terraform functions: {extra:?}");
}

#[test]
fn string_functions_as_documented() {
    check(&[
        (r#"basename("foo/bar/baz.txt")"#, r#""baz.txt""#),
        (r#"dirname("foo/bar/baz.txt")"#, r#""foo/bar""#),
        (r#"startswith("hello world", "hello")"#, "true"),
        (r#"endswith("hello world", "world")"#, "true"),
        (r#"strcontains("hello world", "wor")"#, "true"),
        (r#"chomp("hello\n\n")"#, r#""hello""#),
        (r#"indent(2, "[\n  foo,\n]")"#, r#""[\n    foo,\n  ]""#),
        (r#"title("hello world")"#, r#""Hello World""#),
        (r#"trim("?!hello?!", "!?")"#, r#""hello""#),
        (r#"trimprefix("helloworld", "hello")"#, r#""world""#),
        (r#"trimsuffix("helloworld", "world")"#, r#""hello""#),
        (r#"trimspace("  hello\n\n")"#, r#""hello""#),
        (r#"strrev("hello")"#, r#""olleh""#),
        (r#"substr("hello world", 1, 4)"#, r#""ello""#),
        (r#"substr("hello world", -5, -1)"#, r#""world""#),
        (r#"format("Hello, %s!", "Ander")"#, r#""Hello, Ander!""#),
        (r#"format("There are %d lights", 4)"#, r#""There are 4 lights""#),
        (
            r#"format("%-5s|%5s|%05d|%.2f|%x|%t|%q", "a", "b", 42, 3.14159, 255, true, "x")"#,
            r#""a    |    b|00042|3.14|ff|true|\"x\"""#,
        ),
        (r#"format("%#v", {a = 1})"#, r#""{\"a\":1}""#),
        (r#"formatlist("Hello, %s!", ["Valentina", "Ander"])"#, r#"["Hello, Valentina!", "Hello, Ander!"]"#),
        (
            r#"formatlist("%s, %s!", "Salutations", ["Valentina", "Ander"])"#,
            r#"["Salutations, Valentina!", "Salutations, Ander!"]"#,
        ),
        (r#"join(", ", ["foo", "bar", "baz"])"#, r#""foo, bar, baz""#),
        (r#"split(",", "foo,bar,baz")"#, r#"["foo", "bar", "baz"]"#),
        (r#"regex("[a-z]+", "53453453.345345aaabbbccc23454")"#, r#""aaabbbccc""#),
        (r#"regex("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)", "2019-02-01")"#, r#"["2019", "02", "01"]"#),
        (
            r#"regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")"#,
            r#"{ authority = "terraform.io", scheme = "https" }"#,
        ),
        (r#"regexall("[a-z]+", "1234abcd5678efgh9")"#, r#"["abcd", "efgh"]"#),
        (r#"length(regexall("[a-z]+", "1234abcd5678efgh9"))"#, "2"),
        (r#"replace("1 + 2 + 3", "+", "-")"#, r#""1 - 2 - 3""#),
        (r#"replace("hello world", "/w.*d/", "everybody")"#, r#""hello everybody""#),
        (r#"replace("p5.48xlarge", "/^(\\w+)\\..*$/", "$1")"#, r#""p5""#),
        (r#"lower("HELLO")"#, r#""hello""#),
        (r#"upper("hello")"#, r#""HELLO""#),
        (r#"templatestring("Hello, $${name}!", { name = "Jane" })"#, r#""Hello, Jane!""#),
    ]);
}

#[test]
fn collection_functions_as_documented() {
    check(&[
        (r#"alltrue(["true", true])"#, "true"),
        ("anytrue([false, true])", "true"),
        ("anytrue([])", "false"),
        (r#"chunklist(["a", "b", "c", "d", "e"], 2)"#, r#"[["a", "b"], ["c", "d"], ["e"]]"#),
        (r#"coalesce("", "b")"#, r#""b""#),
        (r#"coalescelist([], ["c", "d"])"#, r#"["c", "d"]"#),
        (r#"compact(["a", "", "b", null, "c"])"#, r#"["a", "b", "c"]"#),
        (r#"concat(["a", ""], ["b", "c"])"#, r#"["a", "", "b", "c"]"#),
        (r#"contains(["a", "b", "c"], "a")"#, "true"),
        (r#"distinct(["a", "b", "a", "c", "d", "b"])"#, r#"["a", "b", "c", "d"]"#),
        (r#"element(["a", "b", "c"], 3)"#, r#""a""#),
        (r#"flatten([["a", "b"], [], ["c"]])"#, r#"["a", "b", "c"]"#),
        (r#"index(["a", "b", "c"], "b")"#, "1"),
        (r#"keys({a=1, c=2, d=3})"#, r#"["a", "c", "d"]"#),
        (r#"values({a=3, c=2, d=1})"#, "[3, 2, 1]"),
        (r#"length("hello")"#, "5"),
        (r#"lookup({a="ay", b="bee"}, "c", "what?")"#, r#""what?""#),
        (r#"map("a", "b", "c", "d")"#, r#"{ a = "b", c = "d" }"#),
        (
            r#"matchkeys(["i-123", "i-abc", "i-def"], ["us-west", "us-east", "us-east"], ["us-east"])"#,
            r#"["i-abc", "i-def"]"#,
        ),
        (r#"merge({a="b", c="d"}, {e="f", c="z"})"#, r#"{ a = "b", c = "z", e = "f" }"#),
        (r#"one(["hello"])"#, r#""hello""#),
        ("one([])", "null"),
        ("range(3)", "[0, 1, 2]"),
        ("range(1, 8, 2)", "[1, 3, 5, 7]"),
        ("range(4, 1)", "[4, 3, 2]"),
        ("reverse([1, 2, 3])", "[3, 2, 1]"),
        (r#"setintersection(["a", "b"], ["b", "c"], ["b", "d"])"#, r#"["b"]"#),
        (
            r#"setproduct(["development", "staging"], ["app1", "app2"])"#,
            r#"[["development", "app1"], ["development", "app2"], ["staging", "app1"], ["staging", "app2"]]"#,
        ),
        (r#"setsubtract(["a", "b", "c"], ["a", "c"])"#, r#"["b"]"#),
        (r#"setunion(["a", "b"], ["b", "c"], ["d"])"#, r#"["a", "b", "c", "d"]"#),
        (r#"slice(["a", "b", "c", "d"], 1, 3)"#, r#"["b", "c"]"#),
        (r#"sort(["e", "d", "a", "x"])"#, r#"["a", "d", "e", "x"]"#),
        ("sum([10, 13, 6, 4.5])", "33.5"),
        (r#"transpose({"a" = ["1", "2"], "b" = ["2", "3"]})"#, r#"{ "1" = ["a"], "2" = ["a", "b"], "3" = ["b"] }"#),
        (r#"zipmap(["a", "b"], [1, 2])"#, "{ a = 1, b = 2 }"),
    ]);
}

#[test]
fn numeric_encoding_network_and_type_functions_as_documented() {
    check(&[
        ("abs(-12.4)", "12.4"),
        ("ceil(4.1)", "5"),
        ("floor(4.9)", "4"),
        ("log(16, 2)", "4"),
        ("max(12, 54, 3)", "54"),
        ("max([12, 54, 3]...)", "54"),
        ("min(12, 54, 3)", "3"),
        (r#"parseint("FF", 16)"#, "255"),
        (r#"parseint("-10", 16)"#, "-16"),
        (r#"parseint("1011111011101111", 2)"#, "48879"),
        ("pow(3, 2)", "9"),
        ("signum(-13)", "-1"),
        (r#"base64encode("Hello World")"#, r#""SGVsbG8gV29ybGQ=""#),
        (r#"base64decode("SGVsbG8gV29ybGQ=")"#, r#""Hello World""#),
        (r#"textencodebase64("Hello World", "UTF-16LE")"#, r#""SABlAGwAbABvACAAVwBvAHIAbABkAA==""#),
        (r#"textdecodebase64("SABlAGwAbABvACAAVwBvAHIAbABkAA==", "UTF-16LE")"#, r#""Hello World""#),
        (r#"csvdecode("a,b,c\n1,2,3\n4,5,6")"#, r#"[{ a = "1", b = "2", c = "3" }, { a = "4", b = "5", c = "6" }]"#),
        (r#"jsondecode("{\"hello\": \"world\"}")"#, r#"{ hello = "world" }"#),
        (r#"jsonencode({"hello"="world"})"#, r#""{\"hello\":\"world\"}""#),
        (r#"jsonencode({b = "<x>", a = [1, true, null]})"#, r#""{\"a\":[1,true,null],\"b\":\"\\u003cx\\u003e\"}""#),
        (r#"urlencode("Hello World!")"#, r#""Hello+World%21""#),
        (r#"yamldecode("hello: world")"#, r#"{ hello = "world" }"#),
        (r#"yamldecode("true")"#, "true"),
        (r#"cidrhost("10.12.112.0/20", 16)"#, r#""10.12.112.16""#),
        (r#"cidrhost("10.12.112.0/20", 268)"#, r#""10.12.113.12""#),
        (r#"cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)"#, r#""fd00:fd12:3456:7890::22""#),
        (r#"cidrnetmask("172.16.0.0/12")"#, r#""255.240.0.0""#),
        (r#"cidrsubnet("172.16.0.0/12", 4, 2)"#, r#""172.18.0.0/16""#),
        (r#"cidrsubnet("10.1.2.0/24", 4, 15)"#, r#""10.1.2.240/28""#),
        // 162 in the 16 bits after a /56: 0x00 ends the fourth group, 0xa2 starts the fifth.
        (r#"cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)"#, r#""fd00:fd12:3456:7800:a200::/72""#),
        (
            r#"cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)"#,
            r#"["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]"#,
        ),
        ("tostring(1)", r#""1""#),
        (r#"tonumber("1")"#, "1"),
        (r#"tobool("true")"#, "true"),
        (r#"toset(["c", "b", "b"])"#, r#"["b", "c"]"#),
        (r#"tomap({"a" = 1, "b" = 2})"#, "{ a = 1, b = 2 }"),
        (r#"nonsensitive(sensitive("x"))"#, r#""x""#),
        (r#"convert(["1", 2], list(number))"#, "[1, 2]"),
        (r#"try(tonumber("x"), 0)"#, "0"),
        (r#"can(regex("^ami-", "ami-123"))"#, "true"),
        (r#"can(regex("^ami-", "x"))"#, "false"),
    ]);
}

#[test]
fn hash_and_time_functions_as_documented() {
    check(&[
        (r#"md5("hello world")"#, r#""5eb63bbbe01eeed093cb22bb8f5acdc3""#),
        (r#"sha1("hello world")"#, r#""2aae6c35c94fcfb415dbe95f408b9ce91ee846ed""#),
        (r#"sha256("hello world")"#, r#""b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9""#),
        (r#"base64sha256("hello world")"#, r#""uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=""#),
        (r#"uuidv5("dns", "www.terraform.io")"#, r#""a5008fae-b28c-5ba5-96cd-82b4c53552d6""#),
        (r#"formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")"#, r#""02 Jan 2018 23:12 UTC""#),
        (
            r#"formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z")"#,
            r#""Tuesday, 02-Jan-18 23:12:01 UTC""#,
        ),
        (r#"formatdate("h:mmaa", "2018-01-01T01:23:45-08:00")"#, r#""1:23am""#),
        (r#"timeadd("2017-11-22T00:00:00Z", "10m")"#, r#""2017-11-22T00:10:00Z""#),
        (r#"timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00+01:00")"#, "0"),
    ]);
}

#[test]
fn file_functions_read_relative_to_the_root_module() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "Hello World").unwrap();
    std::fs::create_dir_all(dir.path().join("files/sub")).unwrap();
    std::fs::write(dir.path().join("files/a.txt"), "").unwrap();
    std::fs::write(dir.path().join("files/sub/b.txt"), "").unwrap();
    std::fs::write(dir.path().join("user_data.tpl"), "%{ for p in pools ~}\n${p}\n%{ endfor ~}\n").unwrap();
    let cases = [
        (r#"file("hello.txt")"#, r#""Hello World""#),
        (r#"filebase64("hello.txt")"#, r#""SGVsbG8gV29ybGQ=""#),
        (r#"filemd5("hello.txt")"#, r#""b10a8db164e0754105b7a99be72e3fe5""#),
        (r#"filebase64sha256("hello.txt")"#, r#""pZGm1Av0IEBKARczz7exkNYsZb8LzaMrV7J32a2fFG4=""#),
        (r#"fileexists("hello.txt")"#, "true"),
        (r#"fileexists("nope.txt")"#, "false"),
        (r#"fileset("files", "**/*.txt")"#, r#"["a.txt", "sub/b.txt"]"#),
        (r#"fileset("files", "*.txt")"#, r#"["a.txt"]"#),
        (r#"templatefile("user_data.tpl", { pools = ["p5", "g6"] })"#, r#""p5\ng6\n""#),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_in(dir.path(), expr), hcl(want), "{expr}");
    }
}

#[test]
fn impure_functions_and_provider_functions_are_unknown() {
    for expr in ["timestamp()", "uuid()", r#"bcrypt("x")"#, "plantimestamp()", r#"provider::aws::arn_parse("x")"#] {
        assert!(super::is_unknown(&eval(expr)), "{expr}");
    }
    // A function of something unknown is unknown; collections keep what they know.
    assert!(super::is_unknown(&eval("upper(timestamp())")));
    assert_eq!(eval("length([timestamp(), 1])"), Value::from(2));
    let merged = eval(r#"merge({team = "ml"}, {id = uuid()})"#);
    let merged = merged.as_object().unwrap();
    assert_eq!(merged["team"], Value::from("ml"));
    assert!(super::is_unknown(&merged["id"]));
    // Comparing with null is known when the value is, whatever is unknown inside it.
    assert_eq!(eval(r#"{ kms = uuid() } != null"#), Value::Bool(true));
    assert!(super::is_unknown(&eval(r#"{ kms = uuid() } == { kms = "x" }"#)));
    assert!(super::is_unknown(&eval("uuid() == null")));
}
