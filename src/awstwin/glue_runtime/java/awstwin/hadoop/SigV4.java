package awstwin.hadoop;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for S3 requests, as documented in
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (header-based
 * authentication, the payload's SHA-256 in x-amz-content-sha256). JDK only.
 *
 * <p>`java awstwin.hadoop.SigV4 METHOD URL AMZDATE PAYLOAD_SHA256 ACCESS SECRET REGION` prints the
 * Authorization header for one request (tests compare it with botocore's signer).
 */
public final class SigV4 {
  static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private final String accessKey;
  private final String secretKey;
  private final String sessionToken;
  private final String region;

  SigV4(String accessKey, String secretKey, String sessionToken, String region) {
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.sessionToken = sessionToken;
    this.region = region;
  }

  static String amzDateNow() {
    return ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE);
  }

  /**
   * The headers to send with a request: x-amz-date, x-amz-content-sha256, the session token when there
   * is one, and Authorization. `extra` holds headers that must be signed too (Content-MD5, x-amz-*).
   */
  Map<String, String> sign(String method, URI uri, Map<String, String> extra, String payloadSha256,
      String amzDate) {
    TreeMap<String, String> signed = new TreeMap<>();
    signed.put("host", hostHeader(uri));
    signed.put("x-amz-date", amzDate);
    signed.put("x-amz-content-sha256", payloadSha256);
    if (sessionToken != null && !sessionToken.isEmpty()) {
      signed.put("x-amz-security-token", sessionToken);
    }
    for (Map.Entry<String, String> header : extra.entrySet()) {
      signed.put(header.getKey().toLowerCase(), header.getValue().trim());
    }
    StringBuilder canonicalHeaders = new StringBuilder();
    for (Map.Entry<String, String> header : signed.entrySet()) {
      canonicalHeaders.append(header.getKey()).append(':').append(header.getValue()).append('\n');
    }
    String signedHeaders = String.join(";", signed.keySet());
    String canonicalRequest = method + "\n" + canonicalPath(uri) + "\n" + canonicalQuery(uri) + "\n"
        + canonicalHeaders + "\n" + signedHeaders + "\n" + payloadSha256;
    String date = amzDate.substring(0, 8);
    String scope = date + "/" + region + "/s3/aws4_request";
    String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonicalRequest));
    byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, "s3");
    key = hmac(key, "aws4_request");
    String signature = hex(hmac(key, stringToSign));
    TreeMap<String, String> headers = new TreeMap<>(signed);
    headers.remove("host"); // the HTTP client sets Host itself, to the same value
    headers.put("authorization", "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope
        + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
    return headers;
  }

  static String hostHeader(URI uri) {
    int port = uri.getPort();
    boolean defaultPort = port == -1 || ("http".equals(uri.getScheme()) && port == 80)
        || ("https".equals(uri.getScheme()) && port == 443);
    return defaultPort ? uri.getHost() : uri.getHost() + ":" + port;
  }

  /** The URI's path exactly as sent (already encoded once by S3RestClient.encodePath). */
  static String canonicalPath(URI uri) {
    String path = uri.getRawPath();
    return path == null || path.isEmpty() ? "/" : path;
  }

  /** Query parameters sorted by name; names and values as sent (already encoded once). */
  static String canonicalQuery(URI uri) {
    String query = uri.getRawQuery();
    if (query == null || query.isEmpty()) {
      return "";
    }
    List<String[]> pairs = new ArrayList<>();
    for (String part : query.split("&")) {
      int eq = part.indexOf('=');
      pairs.add(eq < 0 ? new String[] {part, ""} : new String[] {part.substring(0, eq), part.substring(eq + 1)});
    }
    pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
    List<String> joined = new ArrayList<>();
    for (String[] pair : pairs) {
      joined.add(pair[0] + "=" + pair[1]);
    }
    return String.join("&", joined);
  }

  static byte[] sha256(byte[] data, int offset, int length) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(data, offset, length);
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] sha256(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return sha256(bytes, 0, bytes.length);
  }

  static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) {
      out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return out.toString();
  }

  public static void main(String[] args) {
    if (args.length != 7) {
      System.err.println("usage: SigV4 METHOD URL AMZDATE PAYLOAD_SHA256 ACCESS SECRET REGION");
      System.exit(2);
    }
    SigV4 signer = new SigV4(args[4], args[5], null, args[6]);
    Map<String, String> headers = signer.sign(args[0], URI.create(args[1]), Map.of(), args[3], args[2]);
    System.out.println(headers.get("authorization"));
  }
}
