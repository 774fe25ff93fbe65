package awstwin.hadoop;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Where S3RestFileSystem keeps a job's pending output: every path with a `_temporary` component (the
 * FileOutputCommitter's task and job attempts) or a `.spark-staging-*` one (Spark's dynamic partition
 * overwrite) is a plain local file under ROOT/bucket/key, never an S3 object. Committing is a rename
 * out of here, which uploads; so, as with S3A's staging committers, readers of the bucket never see
 * half-written output or `_temporary` objects, and nothing is copied twice inside S3. It needs the
 * tasks and the driver on one machine: Spark's local mode, which local Glue jobs run in.
 *
 * <p>ROOT is fs.s3rest.staging.dir, else java.io.tmpdir/awstwin-s3rest-staging (the job runner gives
 * each run its own java.io.tmpdir and deletes it when the run ends).
 */
final class StagingArea {
  static final String PENDING_DIR = "_temporary";
  static final String SPARK_STAGING_PREFIX = ".spark-staging-";

  private final File root;
  private final RawLocalFileSystem local = new RawLocalFileSystem();

  StagingArea(Configuration conf) throws IOException {
    String configured = conf.getTrimmed("fs.s3rest.staging.dir");
    File base = configured == null || configured.isEmpty()
        ? new File(System.getProperty("java.io.tmpdir"), "awstwin-s3rest-staging")
        : new File(configured);
    root = base.getAbsoluteFile();
    local.initialize(URI.create("file:///"), conf);
  }

  RawLocalFileSystem local() {
    return local;
  }

  /** True for keys of pending output (see the class comment). */
  static boolean isStaged(String key) {
    for (String part : key.split("/")) {
      if (part.equals(PENDING_DIR) || part.startsWith(SPARK_STAGING_PREFIX)) {
        return true;
      }
    }
    return false;
  }

  Path localPath(String bucket, String key) {
    return new Path(new File(root, bucket + "/" + key).toURI());
  }

  /** A local file's status under the name of the S3 path it stands for. */
  FileStatus asS3(FileStatus status, String scheme, String user) {
    String path = status.getPath().toUri().getPath();
    String prefix = root.toURI().getPath();
    if (!path.startsWith(prefix)) {
      return status;
    }
    String rel = path.substring(prefix.length());
    int slash = rel.indexOf('/');
    String bucket = slash < 0 ? rel : rel.substring(0, slash);
    String key = slash < 0 ? "/" : rel.substring(slash);
    Path s3 = new Path(scheme, bucket, key.endsWith("/") && key.length() > 1 ? key.substring(0, key.length() - 1) : key);
    return new FileStatus(status.isDirectory() ? 0 : status.getLen(), status.isDirectory(), 1,
        status.getBlockSize(), status.getModificationTime(), 0, null, user, user, s3);
  }
}
