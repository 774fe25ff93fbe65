package awstwin.hadoop;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.fs.FSExceptionMessages;
import org.apache.hadoop.fs.FSInputStream;

/**
 * A seekable read of one S3 object through ranged GETs. Ranges adapt to the reader, like S3A's
 * "adaptive" input policy: after a seek the next range is small (a Parquet footer, a column chunk),
 * and while the reader goes on sequentially each next range doubles, up to MAX_RANGE (a CSV scan).
 * A short forward seek inside the open range skips bytes instead of asking again.
 */
final class S3RestInputStream extends FSInputStream {
  static final long MIN_RANGE = 1L << 20;
  static final long MAX_RANGE = 64L << 20;
  static final long SKIP_LIMIT = 256L << 10;

  private final S3RestClient client;
  private final String bucket;
  private final String key;
  private final long length;
  private InputStream body;
  private long pos; // the reader's position
  private long bodyPos; // the position the open body is at
  private long rangeEnd; // exclusive end of the open range
  private long nextRange = MIN_RANGE;
  private boolean closed;

  S3RestInputStream(S3RestClient client, String bucket, String key, long length) {
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.length = length;
  }

  @Override
  public synchronized void seek(long target) throws IOException {
    checkOpen();
    if (target < 0) {
      throw new EOFException(FSExceptionMessages.NEGATIVE_SEEK + " " + target);
    }
    if (target > length) {
      throw new EOFException(FSExceptionMessages.CANNOT_SEEK_PAST_EOF + " " + target);
    }
    pos = target;
  }

  @Override
  public synchronized long getPos() {
    return pos;
  }

  @Override
  public boolean seekToNewSource(long targetPos) {
    return false;
  }

  @Override
  public synchronized int available() throws IOException {
    checkOpen();
    return (int) Math.min(Integer.MAX_VALUE, length - pos);
  }

  @Override
  public synchronized int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] buffer, int offset, int count) throws IOException {
    checkOpen();
    if (count == 0) {
      return 0;
    }
    if (pos >= length) {
      return -1;
    }
    position(count);
    int n = body.read(buffer, offset, (int) Math.min(count, rangeEnd - bodyPos));
    if (n < 0) {
      throw new EOFException("s3://" + bucket + "/" + key + ": the object ended at " + bodyPos
          + " before its length " + length + " (changed while being read?)");
    }
    pos += n;
    bodyPos += n;
    return n;
  }

  /** Make the open body stand at `pos`, opening a new range when needed. */
  private void position(int wanted) throws IOException {
    if (body != null && pos >= bodyPos && pos < rangeEnd && pos - bodyPos <= SKIP_LIMIT) {
      skipBody(pos - bodyPos);
      return;
    }
    boolean sequential = body != null && pos == rangeEnd;
    closeBody();
    nextRange = sequential ? Math.min(nextRange * 2, MAX_RANGE) : MIN_RANGE;
    long size = Math.max(nextRange, wanted);
    long end = Math.min(length, pos + size);
    body = client.getRange(bucket, key, pos, end - 1);
    bodyPos = pos;
    rangeEnd = end;
  }

  private void skipBody(long count) throws IOException {
    long left = count;
    while (left > 0) {
      long skipped = body.skip(left);
      if (skipped <= 0) {
        if (body.read() < 0) {
          throw new EOFException("s3://" + bucket + "/" + key + ": the object ended early");
        }
        skipped = 1;
      }
      left -= skipped;
      bodyPos += skipped;
    }
  }

  private void closeBody() {
    if (body != null) {
      try {
        body.close();
      } catch (IOException ignored) {
        // an unfinished range: the connection is dropped, nothing to keep
      }
      body = null;
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException(FSExceptionMessages.STREAM_IS_CLOSED + ": s3://" + bucket + "/" + key);
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    closeBody();
  }
}
