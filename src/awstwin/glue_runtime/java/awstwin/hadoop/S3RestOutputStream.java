package awstwin.hadoop;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one S3 object as the bytes come: they fill a buffer of `partSize`; a file that ends within
 * the first buffer is one PutObject, a bigger one a multipart upload whose parts go up as each buffer
 * fills (only one buffer is ever held). Nothing is visible in S3 before close() succeeds, as on S3A;
 * a failed close aborts the upload, so no half object is left.
 */
final class S3RestOutputStream extends OutputStream {
  private final S3RestClient client;
  private final String bucket;
  private final String key;
  private final byte[] buffer;
  private int filled;
  private String uploadId;
  private final List<String> etags = new ArrayList<>();
  private boolean closed;

  S3RestOutputStream(S3RestClient client, String bucket, String key, int partSize) {
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.buffer = new byte[partSize];
  }

  @Override
  public synchronized void write(int b) throws IOException {
    checkOpen();
    if (filled == buffer.length) {
      uploadBuffer();
    }
    buffer[filled++] = (byte) b;
  }

  @Override
  public synchronized void write(byte[] data, int offset, int length) throws IOException {
    checkOpen();
    while (length > 0) {
      if (filled == buffer.length) {
        uploadBuffer();
      }
      int n = Math.min(length, buffer.length - filled);
      System.arraycopy(data, offset, buffer, filled, n);
      filled += n;
      offset += n;
      length -= n;
    }
  }

  private void uploadBuffer() throws IOException {
    try {
      if (uploadId == null) {
        uploadId = client.createMultipart(bucket, key);
      }
      etags.add(client.uploadPart(bucket, key, uploadId, etags.size() + 1, buffer, filled));
      filled = 0;
    } catch (IOException | RuntimeException e) {
      abort();
      throw e;
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (uploadId == null) {
        client.put(bucket, key, buffer, filled);
        return;
      }
      if (filled > 0) {
        etags.add(client.uploadPart(bucket, key, uploadId, etags.size() + 1, buffer, filled));
      }
      client.completeMultipart(bucket, key, uploadId, etags);
    } catch (IOException | RuntimeException e) {
      abort();
      throw e;
    }
  }

  private void abort() {
    closed = true;
    if (uploadId != null) {
      try {
        client.abortMultipart(bucket, key, uploadId);
      } catch (IOException ignored) {
        // the upload's parts stay until a lifecycle rule clears them; the object was never created
      }
      uploadId = null;
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed: s3://" + bucket + "/" + key);
    }
  }
}
