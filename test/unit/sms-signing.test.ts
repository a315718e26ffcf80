import { describe, expect, it } from "vitest";
import { aliyunTimestamp, canonicalQuery, percentEncode, rpcSignature, rpcStringToSign, signAcs3 } from "../../src/sms/aliyun/signing";
import { beijingTimestamp, ronglianAuthorization, ronglianSig } from "../../src/sms/ronglian/signing";

describe("percentEncode (RFC 3986 as Aliyun applies it)", () => {
  it("keeps only unreserved characters and encodes space as %20, * as %2A, keeps ~", () => {
    expect(percentEncode("AZaz09-_.~")).toBe("AZaz09-_.~");
    expect(percentEncode("a b*c~d")).toBe("a%20b%2Ac~d");
    expect(percentEncode("!'()+/=&:")).toBe("%21%27%28%29%2B%2F%3D%26%3A");
    expect(percentEncode('{"code":"1"}')).toBe("%7B%22code%22%3A%221%22%7D");
    expect(percentEncode("阿")).toBe("%E9%98%BF");
  });

  it("sorts the canonical query by parameter name", () => {
    expect(canonicalQuery({ b: "2", a: "x y", A: "z" })).toBe("A=z&a=x%20y&b=2");
    expect(canonicalQuery({})).toBe("");
  });

  it("formats Aliyun timestamps to the second", () => {
    expect(aliyunTimestamp(new Date("2017-07-12T02:42:19.123Z"))).toBe("2017-07-12T02:42:19Z");
  });
});

describe("Aliyun signature V2 (RPC, HMAC-SHA1): Aliyun's published SendSms example", () => {
  // From Aliyun's SMS documentation ("签名机制" for dysmsapi): GET, secret testSecret.
  const params = {
    AccessKeyId: "testId",
    Action: "SendSms",
    Format: "XML",
    OutId: "123",
    PhoneNumbers: "15300000001",
    RegionId: "cn-hangzhou",
    SignName: "阿里云短信测试专用",
    SignatureMethod: "HMAC-SHA1",
    SignatureNonce: "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    SignatureVersion: "1.0",
    TemplateCode: "SMS_71390007",
    TemplateParam: '{"customer":"test"}',
    Timestamp: "2017-07-12T02:42:19Z",
    Version: "2017-05-25",
  };

  it("builds the documented canonical query and string to sign", () => {
    const query =
      "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou" +
      "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8" +
      "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0" +
      "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25";
    expect(canonicalQuery(params)).toBe(query);
    expect(rpcStringToSign("GET", params)).toBe(`GET&%2F&${percentEncode(query)}`);
    expect(rpcStringToSign("GET", params).startsWith("GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML")).toBe(true);
  });

  it("reproduces the documented signature", async () => {
    expect(await rpcSignature("GET", params, "testSecret")).toBe("zJDF+Lrzhj/ThnlvIToysFRq6t4=");
  });
});

describe("Aliyun signature V3 (ACS3-HMAC-SHA256): the example of 'V3 request structure and signature'", () => {
  const input = {
    method: "POST",
    host: "ecs.cn-shanghai.aliyuncs.com",
    path: "/",
    query: { ImageId: "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", RegionId: "cn-shanghai" },
    body: "",
    action: "RunInstances",
    version: "2014-05-26",
    date: "2023-10-26T10:22:32Z",
    nonce: "3156853299f313e23d1673dc12e1703d",
    accessKeyId: "YourAccessKeyId",
    accessKeySecret: "YourAccessKeySecret",
  };
  const emptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  it("builds the documented canonical request, hash and signature", async () => {
    const signed = await signAcs3(input);
    expect(signed.canonicalRequest).toBe(
      [
        "POST",
        "/",
        "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
        "host:ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action:RunInstances",
        `x-acs-content-sha256:${emptySha256}`,
        "x-acs-date:2023-10-26T10:22:32Z",
        "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d",
        "x-acs-version:2014-05-26",
        "",
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
        emptySha256,
      ].join("\n"),
    );
    expect(signed.hashedCanonicalRequest).toBe("7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    expect(signed.signature).toBe("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
    expect(signed.headers).toEqual({
      authorization:
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
      "x-acs-action": "RunInstances",
      "x-acs-version": "2014-05-26",
      "x-acs-date": "2023-10-26T10:22:32Z",
      "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
      "x-acs-content-sha256": emptySha256,
    });
  });

  it("signs content-type and the body hash when there is a body", async () => {
    const signed = await signAcs3({ ...input, query: {}, body: "a=1", contentType: "application/x-www-form-urlencoded" });
    expect(signed.signedHeaders).toBe("content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version");
    expect(signed.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    // sha256("a=1"), computed with `printf 'a=1' | sha256sum`.
    expect(signed.headers["x-acs-content-sha256"]).toBe("c22fea5d7428e5cf47ef6354c97c9223c95d6dcdc3e0d2300ff79056b1ff3d85");
    expect(signed.canonicalRequest.split("\n")[2]).toBe("");
    expect(signed.canonicalRequest.split("\n")[3]).toBe("content-type:application/x-www-form-urlencoded");
  });
});

describe("Ronglian sig and Authorization", () => {
  // Ronglian publishes no worked example. These vectors were computed outside the Worker with
  // Node's crypto module:
  //   node -e 'const c=require("crypto");const sid="8aaf0708a1b2c3d4e5f6a7b8c9d0e1f2",
  //     token="0123456789abcdef0123456789abcdef";for(const ts of ["20250101003005","20240229235959"])
  //     console.log(ts,c.createHash("md5").update(sid+token+ts).digest("hex").toUpperCase(),
  //     Buffer.from(sid+":"+ts).toString("base64"))'
  const sid = "8aaf0708a1b2c3d4e5f6a7b8c9d0e1f2";
  const token = "0123456789abcdef0123456789abcdef";

  it("is the uppercase hex MD5 of sid + token + timestamp", async () => {
    expect(await ronglianSig(sid, token, "20250101003005")).toBe("63D3152DBF9999840B49A8660DA81999");
    expect(await ronglianSig(sid, token, "20240229235959")).toBe("FF2844C8343D46251A6F02022FECF781");
  });

  it("authorizes with base64(sid:timestamp)", () => {
    expect(ronglianAuthorization(sid, "20250101003005")).toBe("OGFhZjA3MDhhMWIyYzNkNGU1ZjZhN2I4YzlkMGUxZjI6MjAyNTAxMDEwMDMwMDU=");
    expect(ronglianAuthorization(sid, "20240229235959")).toBe("OGFhZjA3MDhhMWIyYzNkNGU1ZjZhN2I4YzlkMGUxZjI6MjAyNDAyMjkyMzU5NTk=");
  });

  it("stamps Beijing time (UTC+8) whatever the clock's zone, across day and year boundaries", () => {
    expect(beijingTimestamp(new Date("2024-12-31T16:30:05Z"))).toBe("20250101003005");
    expect(beijingTimestamp(new Date("2024-02-29T15:59:59Z"))).toBe("20240229235959");
    expect(beijingTimestamp(new Date("2024-02-29T16:00:00Z"))).toBe("20240301000000");
    expect(beijingTimestamp(new Date("2024-06-01T00:00:00+08:00"))).toBe("20240601000000");
  });
});
