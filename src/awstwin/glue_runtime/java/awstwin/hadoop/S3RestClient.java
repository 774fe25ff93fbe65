package awstwin.hadoop;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The S3 REST API calls a Hadoop FileSystem needs, over java.net.http with SigV4 and path-style URLs
 * (`ENDPOINT/bucket/key`), so it works against any S3: LocalStack, the awstwin endpoint, AWS. Each call
 * is the documented operation (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html);
 * errors become IOExceptions carrying S3's own code and message, the call and the object.
 * Idempotent calls are retried on connection errors and 500/503 (a busy local server).
 */
final class S3RestClient {
  static final int MAX_ATTEMPTS = 3;

  /** An object as HeadObject or ListObjectsV2 describe it. */
  static final class ObjectInfo {
    final String key;
    final long length;
    final long modified;

    ObjectInfo(String key, long length, long modified) {
      this.key = key;
      this.length = length;
      this.modified = modified;
    }
  }

  /** One page of ListObjectsV2. */
  static final class ListPage {
    final List<ObjectInfo> objects = new ArrayList<>();
    final List<String> prefixes = new ArrayList<>();
    String nextToken;
  }

  /** An S3 error response: the HTTP status and S3's error code. */
  static final class S3Exception extends IOException {
    final int status;
    final String code;

    S3Exception(String message, int status, String code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  private final URI endpoint;
  private final SigV4 signer;
  private final HttpClient http;

  S3RestClient(URI endpoint, SigV4 signer) {
    String base = endpoint.toString();
    this.endpoint = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
    this.signer = signer;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  URI endpoint() {
    return endpoint;
  }

  // ---- operations -------------------------------------------------------------------------------

  /** HeadObject: the object's size and time, or null when there is no such key. */
  ObjectInfo head(String bucket, String key) throws IOException {
    HttpResponse<byte[]> response = send("HEAD", bucket, key, null, Map.of(), null, 0, 0, true);
    if (response.statusCode() == 404) {
      return null;
    }
    check(response, "HeadObject", bucket, key);
    long length = response.headers().firstValueAsLong("content-length").orElse(0);
    String modified = response.headers().firstValue("last-modified").orElse(null);
    return new ObjectInfo(key, length, modified == null ? 0 : parseHttpDate(modified));
  }

  /** GetObject of bytes [start, end] (inclusive), as a stream the caller closes. */
  InputStream getRange(String bucket, String key, long start, long end) throws IOException {
    Map<String, String> headers = Map.of("Range", "bytes=" + start + "-" + end);
    IOException last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      HttpRequest request = request("GET", url(bucket, key, null), headers, null, 0, 0);
      HttpResponse<InputStream> response;
      try {
        response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        last = e;
        pause(attempt);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted reading s3://" + bucket + "/" + key);
      }
      int status = response.statusCode();
      if (status == 206 || (status == 200 && start == 0)) {
        return response.body();
      }
      if (status == 200) { // a server that ignores Range sends the whole object: skip to `start`
        InputStream whole = response.body();
        whole.skipNBytes(start);
        return whole;
      }
      byte[] body = response.body().readAllBytes();
      response.body().close();
      if (retryable(status) && attempt < MAX_ATTEMPTS) {
        pause(attempt);
        continue;
      }
      throw error("GetObject", bucket, key, status, body);
    }
    throw new IOException("GetObject s3://" + bucket + "/" + key + " failed: " + last, last);
  }

  /** PutObject of data[0, length). */
  void put(String bucket, String key, byte[] data, int length) throws IOException {
    check(send("PUT", bucket, key, null, Map.of(), data, 0, length, true), "PutObject", bucket, key);
  }

  /** ListObjectsV2 of one page under `prefix`, grouped at `delimiter` when it is not null. */
  ListPage list(String bucket, String prefix, String delimiter, String token, int maxKeys)
      throws IOException {
    LinkedHashMap<String, String> query = new LinkedHashMap<>();
    query.put("list-type", "2");
    query.put("prefix", prefix);
    query.put("max-keys", Integer.toString(maxKeys));
    if (delimiter != null) {
      query.put("delimiter", delimiter);
    }
    if (token != null) {
      query.put("continuation-token", token);
    }
    HttpResponse<byte[]> response = send("GET", bucket, "", query, Map.of(), null, 0, 0, true);
    check(response, "ListObjectsV2", bucket, prefix);
    Document xml = parse(response.body(), "ListObjectsV2", bucket, prefix);
    ListPage page = new ListPage();
    NodeList contents = xml.getElementsByTagName("Contents");
    for (int i = 0; i < contents.getLength(); i++) {
      Element item = (Element) contents.item(i);
      String modified = text(item, "LastModified");
      page.objects.add(new ObjectInfo(text(item, "Key"), Long.parseLong(text(item, "Size")),
          modified == null ? 0 : Instant.parse(modified).toEpochMilli()));
    }
    NodeList prefixes = xml.getElementsByTagName("CommonPrefixes");
    for (int i = 0; i < prefixes.getLength(); i++) {
      page.prefixes.add(text((Element) prefixes.item(i), "Prefix"));
    }
    if ("true".equals(text(xml.getDocumentElement(), "IsTruncated"))) {
      page.nextToken = text(xml.getDocumentElement(), "NextContinuationToken");
    }
    return page;
  }

  /** CopyObject (S3 may answer 200 with an error in the body: that is an error too). */
  void copy(String srcBucket, String srcKey, String dstBucket, String dstKey) throws IOException {
    Map<String, String> headers = Map.of("x-amz-copy-source", "/" + srcBucket + "/" + encode(srcKey, true));
    HttpResponse<byte[]> response = send("PUT", dstBucket, dstKey, null, headers, null, 0, 0, true);
    check(response, "CopyObject", srcBucket, srcKey + " -> s3://" + dstBucket + "/" + dstKey);
    if (response.body().length > 0 && new String(response.body(), StandardCharsets.UTF_8).contains("<Error>")) {
      throw error("CopyObject", dstBucket, dstKey, 500, response.body());
    }
  }

  /** DeleteObject (no error when the key is absent, as on S3). */
  void delete(String bucket, String key) throws IOException {
    check(send("DELETE", bucket, key, null, Map.of(), null, 0, 0, true), "DeleteObject", bucket, key);
  }

  /** DeleteObjects of up to 1000 keys, quietly; any key S3 could not delete is an error. */
  void deleteMany(String bucket, List<String> keys) throws IOException {
    StringBuilder body = new StringBuilder("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>");
    for (String key : keys) {
      body.append("<Object><Key>").append(xmlEscape(key)).append("</Key></Object>");
    }
    body.append("</Delete>");
    byte[] data = body.toString().getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = Map.of("Content-MD5", md5Base64(data), "Content-Type", "application/xml");
    LinkedHashMap<String, String> query = new LinkedHashMap<>();
    query.put("delete", "");
    HttpResponse<byte[]> response = send("POST", bucket, "", query, headers, data, 0, data.length, true);
    check(response, "DeleteObjects", bucket, keys.isEmpty() ? "" : keys.get(0));
    if (response.body().length == 0) {
      return; // quiet mode with nothing to report
    }
    Document xml = parse(response.body(), "DeleteObjects", bucket, "");
    NodeList errors = xml.getElementsByTagName("Error");
    if (errors.getLength() > 0) {
      Element first = (Element) errors.item(0);
      throw new S3Exception("DeleteObjects s3://" + bucket + "/" + text(first, "Key") + " failed: "
          + text(first, "Code") + ": " + text(first, "Message") + " (" + errors.getLength() + " key(s))",
          500, text(first, "Code"));
    }
  }

  /** CreateMultipartUpload: the upload id. */
  String createMultipart(String bucket, String key) throws IOException {
    LinkedHashMap<String, String> query = new LinkedHashMap<>();
    query.put("uploads", "");
    HttpResponse<byte[]> response = send("POST", bucket, key, query, Map.of(), null, 0, 0, true);
    check(response, "CreateMultipartUpload", bucket, key);
    return text(parse(response.body(), "CreateMultipartUpload", bucket, key).getDocumentElement(), "UploadId");
  }

  /** UploadPart: the part's ETag. */
  String uploadPart(String bucket, String key, String uploadId, int part, byte[] data, int length)
      throws IOException {
    LinkedHashMap<String, String> query = new LinkedHashMap<>();
    query.put("partNumber", Integer.toString(part));
    query.put("uploadId", uploadId);
    HttpResponse<byte[]> response = send("PUT", bucket, key, query, Map.of(), data, 0, length, true);
    check(response, "UploadPart", bucket, key);
    return response.headers().firstValue("etag").orElseThrow(
        () -> new IOException("UploadPart s3://" + bucket + "/" + key + ": no ETag in the answer"));
  }

  void completeMultipart(String bucket, String key, String uploadId, List<String> etags) throws IOException {
    StringBuilder body = new StringBuilder("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < etags.size(); i++) {
      body.append("<Part><PartNumber>").append(i + 1).append("</PartNumber><ETag>")
          .append(xmlEscape(etags.get(i))).append("</ETag></Part>");
    }
    body.append("</CompleteMultipartUpload>");
    byte[] data = body.toString().getBytes(StandardCharsets.UTF_8);
    LinkedHashMap<String, String> query = new LinkedHashMap<>();
    query.put("uploadId", uploadId);
    HttpResponse<byte[]> response = send("POST", bucket, key, query, Map.of("Content-Type", "application/xml"),
        data, 0, data.length, true);
    check(response, "CompleteMultipartUpload", bucket, key);
    if (new String(response.body(), StandardCharsets.UTF_8).contains("<Error>")) {
      throw error("CompleteMultipartUpload", bucket, key, 500, response.body());
    }
  }

  void abortMultipart(String bucket, String key, String uploadId) throws IOException {
    LinkedHashMap<String, String> query = new LinkedHashMap<>();
    query.put("uploadId", uploadId);
    check(send("DELETE", bucket, key, query, Map.of(), null, 0, 0, true), "AbortMultipartUpload", bucket, key);
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  private HttpResponse<byte[]> send(String method, String bucket, String key, Map<String, String> query,
      Map<String, String> headers, byte[] data, int offset, int length, boolean retry) throws IOException {
    URI uri = url(bucket, key, query);
    IOException last = null;
    for (int attempt = 1; attempt <= (retry ? MAX_ATTEMPTS : 1); attempt++) {
      try {
        HttpResponse<byte[]> response = http.send(request(method, uri, headers, data, offset, length),
            HttpResponse.BodyHandlers.ofByteArray());
        if (retry && retryable(response.statusCode()) && attempt < MAX_ATTEMPTS) {
          pause(attempt);
          continue;
        }
        return response;
      } catch (IOException e) {
        last = e;
        pause(attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(method + " " + uri + " interrupted");
      }
    }
    throw new IOException(method + " " + uri + " failed after " + MAX_ATTEMPTS + " attempts: " + last, last);
  }

  private HttpRequest request(String method, URI uri, Map<String, String> headers, byte[] data, int offset,
      int length) {
    String payloadHash = data == null ? SigV4.EMPTY_SHA256 : SigV4.hex(SigV4.sha256(data, offset, length));
    Map<String, String> signed = signer.sign(method, uri, headers, payloadHash, SigV4.amzDateNow());
    HttpRequest.BodyPublisher body = data == null
        ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(data, offset, length);
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).method(method, body);
    for (Map.Entry<String, String> header : signed.entrySet()) { // `headers` are among them, signed
      builder.header(header.getKey(), header.getValue());
    }
    return builder.build();
  }

  private URI url(String bucket, String key, Map<String, String> query) {
    StringBuilder url = new StringBuilder(endpoint.toString()).append('/').append(encode(bucket, false));
    if (!key.isEmpty()) {
      url.append('/').append(encode(key, true));
    } else {
      url.append('/');
    }
    if (query != null && !query.isEmpty()) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, String> entry : query.entrySet()) {
        parts.add(encode(entry.getKey(), false) + "=" + encode(entry.getValue(), false));
      }
      url.append('?').append(String.join("&", parts));
    }
    return URI.create(url.toString());
  }

  private static boolean retryable(int status) {
    return status == 500 || status == 502 || status == 503 || status == 504;
  }

  private static void pause(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(200L * attempt * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while retrying an S3 call");
    }
  }

  private void check(HttpResponse<byte[]> response, String operation, String bucket, String key)
      throws IOException {
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return;
    }
    throw error(operation, bucket, key, status, response.body());
  }

  private IOException error(String operation, String bucket, String key, int status, byte[] body) {
    String code = "";
    String message = "";
    if (body != null && body.length > 0) {
      try {
        Element root = parse(body, operation, bucket, key).getDocumentElement();
        Element error = "Error".equals(root.getTagName()) ? root
            : (Element) root.getElementsByTagName("Error").item(0);
        if (error != null) {
          code = nonNull(text(error, "Code"));
          message = nonNull(text(error, "Message"));
        }
      } catch (IOException | RuntimeException ignored) {
        message = new String(body, StandardCharsets.UTF_8);
      }
    }
    String where = "s3://" + bucket + (key.isEmpty() ? "" : "/" + key);
    String text = operation + " " + where + " at " + endpoint + " failed: HTTP " + status
        + (code.isEmpty() ? "" : " " + code) + (message.isEmpty() ? "" : ": " + message);
    if (status == 404 || "NoSuchKey".equals(code) || "NoSuchBucket".equals(code)) {
      return new FileNotFoundException(text);
    }
    if (status == 403) {
      return new AccessDeniedException(where, null, text);
    }
    return new S3Exception(text, status, code);
  }

  // ---- encoding and XML -------------------------------------------------------------------------

  /** RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept, `/` kept in keys. */
  static String encode(String value, boolean keepSlash) {
    StringBuilder out = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '.' || c == '~' || (keepSlash && c == '/')) {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static Document parse(byte[] body, String operation, String bucket, String key) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      return builder.parse(new ByteArrayInputStream(body));
    } catch (Exception e) {
      throw new IOException(operation + " s3://" + bucket + "/" + key + ": unreadable XML answer: " + e, e);
    }
  }

  /** The text of the first direct child element named `name`, or null. */
  private static String text(Element parent, String name) {
    for (org.w3c.dom.Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element && name.equals(((Element) node).getTagName())) {
        return node.getTextContent();
      }
    }
    return null;
  }

  private static String nonNull(String value) {
    return value == null ? "" : value;
  }

  private static String xmlEscape(String value) {
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String md5Base64(byte[] data) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long parseHttpDate(String value) {
    try {
      return ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
