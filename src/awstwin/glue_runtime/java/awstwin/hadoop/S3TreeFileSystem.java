package awstwin.hadoop;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * s3://bucket/key (and s3a://, s3n://) as the plain file ROOT/bucket/key, where the local endpoint
 * keeps its S3 objects. Lets unmodified Spark code read and write S3 paths offline.
 * ROOT comes from the Hadoop setting fs.s3tree.root, else the AWSTWIN_S3_ROOT environment variable.
 */
public class S3TreeFileSystem extends RawLocalFileSystem {
  private URI uri;
  private String root;

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    String configured = conf.get("fs.s3tree.root", System.getenv("AWSTWIN_S3_ROOT"));
    if (configured == null || configured.isEmpty()) {
      throw new IOException("S3TreeFileSystem needs fs.s3tree.root or AWSTWIN_S3_ROOT to map " + name);
    }
    root = new File(configured).getAbsolutePath();
    uri = URI.create(name.getScheme() + "://" + name.getAuthority());
    setConf(conf);
  }

  @Override
  public URI getUri() {
    return uri == null ? super.getUri() : uri; // null while RawLocalFileSystem's constructor runs
  }

  @Override
  public String getScheme() {
    return getUri().getScheme();
  }

  @Override
  public Path getWorkingDirectory() {
    return uri == null ? super.getWorkingDirectory() : new Path(uri.toString() + "/");
  }

  @Override
  public Path getHomeDirectory() {
    return getWorkingDirectory();
  }

  @Override
  public File pathToFile(Path path) {
    Path qualified = path.isAbsolute() ? path : new Path(getWorkingDirectory(), path);
    String bucket = qualified.toUri().getAuthority();
    return new File(root + "/" + (bucket == null ? uri.getAuthority() : bucket) + qualified.toUri().getPath());
  }

  /**
   * Statuses name local files; give them back their s3://bucket/key names. A fresh FileStatus also
   * skips RawLocalFileSystem's lazy permission lookup, which shells out once per file.
   */
  private FileStatus toS3(FileStatus status) {
    String local = status.getPath().toUri().getPath();
    if (!local.startsWith(root + "/")) {
      return status;
    }
    String rel = local.substring(root.length() + 1);
    int slash = rel.indexOf('/');
    String bucket = slash < 0 ? rel : rel.substring(0, slash);
    String key = slash < 0 ? "/" : rel.substring(slash);
    Path path = new Path(uri.getScheme(), bucket, key);
    return new FileStatus(status.getLen(), status.isDirectory(), 1, status.getBlockSize(),
        status.getModificationTime(), path);
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    return toS3(super.getFileStatus(f));
  }

  @Override
  public FileStatus getFileLinkStatus(Path f) throws IOException {
    return toS3(super.getFileLinkStatus(f));
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    FileStatus[] statuses = super.listStatus(f);
    for (int i = 0; i < statuses.length; i++) {
      statuses[i] = toS3(statuses[i]);
    }
    return statuses;
  }

  private void requireBucket(Path f) throws IOException {
    File bucketDir = new File(root, pathToFile(f).getAbsolutePath().substring(root.length() + 1).split("/", 2)[0]);
    if (!bucketDir.isDirectory()) {
      throw new FileNotFoundException("NoSuchBucket: the bucket of " + f + " does not exist; create it first");
    }
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    requireBucket(f);
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public boolean mkdirs(Path f) throws IOException {
    requireBucket(f);
    return super.mkdirs(f);
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    requireBucket(f);
    return super.mkdirs(f, permission);
  }
}
