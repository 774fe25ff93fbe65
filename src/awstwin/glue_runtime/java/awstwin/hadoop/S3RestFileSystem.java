package awstwin.hadoop;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.PathIsNotEmptyDirectoryException;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.util.Progressable;

/**
 * s3://bucket/key (and s3a://, s3n://) over the S3 REST API of any S3 server, with the JDK only: Spark
 * reads and writes S3 paths in a Glue job when S3 is not the awstwin endpoint's own files (LocalStack,
 * another endpoint) and no hadoop-aws is on the classpath (pyspark ships none; Maven is out of reach).
 *
 * <p>Directories are S3A's: a "directory" is any key prefix ending in `/` that has objects under it,
 * or an empty marker object `dir/` (mkdirs makes one; markers are kept, as S3A does since Hadoop 3.4).
 * rename is copy then delete (not atomic, as on S3A); a file rename into an existing directory lands
 * under it, a directory may only be renamed onto a missing or empty directory. Output is uploaded on
 * close (multipart above one part), so an object is either whole or absent. Pending output of a job
 * (`_temporary/`, `.spark-staging-*`) lives on local disk until it is committed: see StagingArea.
 *
 * <p>Settings (Hadoop configuration, else the standard AWS environment variables):
 * fs.s3rest.endpoint (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL; else https://s3.REGION.amazonaws.com),
 * fs.s3rest.region (AWS_REGION, AWS_DEFAULT_REGION; else us-east-1), fs.s3rest.access.key,
 * fs.s3rest.secret.key, fs.s3rest.session.token (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), fs.s3rest.multipart.size (bytes per part, at least 5 MiB; default 8 MiB),
 * fs.s3rest.block.size (the split size Hadoop readers see; default 32 MiB, as S3A),
 * fs.s3rest.staging.dir (see StagingArea).
 */
public class S3RestFileSystem extends FileSystem {
  static final int MIN_PART = 5 << 20;
  static final int LIST_PAGE = 1000;
  static final int DELETE_BATCH = 1000;

  private URI uri;
  private Path workingDir;
  private S3RestClient client;
  private int partSize;
  private long blockSize;
  private String user;
  private StagingArea staging;

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    setConf(conf);
    if (name.getAuthority() == null || name.getAuthority().isEmpty()) {
      throw new IOException("S3RestFileSystem: " + name + " names no bucket; use s3://bucket/key");
    }
    uri = URI.create(name.getScheme() + "://" + name.getAuthority());
    workingDir = new Path(uri.toString() + "/");
    String region = setting(conf, "fs.s3rest.region", "AWS_REGION", "AWS_DEFAULT_REGION");
    region = region == null ? "us-east-1" : region;
    String endpoint = setting(conf, "fs.s3rest.endpoint", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    endpoint = endpoint == null ? "https://s3." + region + ".amazonaws.com" : endpoint;
    String access = setting(conf, "fs.s3rest.access.key", "AWS_ACCESS_KEY_ID", null);
    String secret = setting(conf, "fs.s3rest.secret.key", "AWS_SECRET_ACCESS_KEY", null);
    if (access == null || secret == null) {
      throw new IOException("S3RestFileSystem: no credentials for " + name + "; set AWS_ACCESS_KEY_ID and "
          + "AWS_SECRET_ACCESS_KEY (or fs.s3rest.access.key / fs.s3rest.secret.key)");
    }
    String token = setting(conf, "fs.s3rest.session.token", "AWS_SESSION_TOKEN", null);
    client = new S3RestClient(URI.create(endpoint), new SigV4(access, secret, token, region));
    partSize = (int) Math.max(MIN_PART, conf.getLongBytes("fs.s3rest.multipart.size", 8L << 20));
    blockSize = conf.getLongBytes("fs.s3rest.block.size", 32L << 20);
    user = UserGroupInformation.getCurrentUser().getShortUserName();
    staging = new StagingArea(conf);
  }

  private static String setting(Configuration conf, String key, String env1, String env2) {
    String value = conf.getTrimmed(key);
    if (value == null || value.isEmpty()) {
      value = env1 == null ? null : System.getenv(env1);
    }
    if ((value == null || value.isEmpty()) && env2 != null) {
      value = System.getenv(env2);
    }
    return value == null || value.isEmpty() ? null : value;
  }

  @Override
  public String getScheme() {
    return uri == null ? "s3" : uri.getScheme();
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public String getCanonicalServiceName() {
    return null; // no delegation tokens
  }

  @Override
  public Path getWorkingDirectory() {
    return workingDir;
  }

  @Override
  public void setWorkingDirectory(Path dir) {
    workingDir = makeQualified(dir);
  }

  @Override
  public long getDefaultBlockSize() {
    return blockSize;
  }

  // ---- paths and keys ---------------------------------------------------------------------------

  private Path qualify(Path path) {
    return makeQualified(path.isAbsolute() ? path : new Path(workingDir, path));
  }

  private String bucketOf(Path path) {
    String authority = qualify(path).toUri().getAuthority();
    return authority == null ? uri.getAuthority() : authority;
  }

  /** The object key of a path: no leading slash; "" for the bucket's root. */
  private String keyOf(Path path) {
    String key = qualify(path).toUri().getPath();
    while (key.startsWith("/")) {
      key = key.substring(1);
    }
    return key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
  }

  private boolean staged(Path path) {
    return StagingArea.isStaged(keyOf(path));
  }

  private Path localOf(Path path) {
    return staging.localPath(bucketOf(path), keyOf(path));
  }

  private FileStatus fromLocal(FileStatus status) {
    return staging.asS3(status, uri.getScheme(), user);
  }

  private Path pathOf(String bucket, String key) {
    return new Path(uri.getScheme(), bucket, "/" + key);
  }

  private FileStatus fileStatus(String bucket, S3RestClient.ObjectInfo info) {
    return new FileStatus(info.length, false, 1, blockSize, info.modified, 0, null, user, user,
        pathOf(bucket, info.key));
  }

  private FileStatus dirStatus(String bucket, String key) {
    return new FileStatus(0, true, 1, 0, 0, 0, null, user, user, pathOf(bucket, key));
  }

  // ---- status and listing -----------------------------------------------------------------------

  @Override
  public FileStatus getFileStatus(Path path) throws IOException {
    if (staged(path)) {
      return fromLocal(staging.local().getFileStatus(localOf(path)));
    }
    String bucket = bucketOf(path);
    String key = keyOf(path);
    if (key.isEmpty()) {
      return dirStatus(bucket, "");
    }
    S3RestClient.ObjectInfo info = client.head(bucket, key);
    if (info != null) {
      return fileStatus(bucket, info);
    }
    S3RestClient.ListPage page = client.list(bucket, key + "/", "/", null, 1);
    if (!page.objects.isEmpty() || !page.prefixes.isEmpty()) {
      return dirStatus(bucket, key);
    }
    throw new FileNotFoundException("No such file or directory: " + qualify(path));
  }

  @Override
  public FileStatus[] listStatus(Path path) throws IOException {
    if (staged(path)) {
      FileStatus[] statuses = staging.local().listStatus(localOf(path));
      for (int i = 0; i < statuses.length; i++) {
        statuses[i] = fromLocal(statuses[i]);
      }
      return statuses;
    }
    String bucket = bucketOf(path);
    String key = keyOf(path);
    String prefix = key.isEmpty() ? "" : key + "/";
    List<FileStatus> found = new ArrayList<>();
    boolean seen = key.isEmpty();
    String token = null;
    do {
      S3RestClient.ListPage page = client.list(bucket, prefix, "/", token, LIST_PAGE);
      for (S3RestClient.ObjectInfo info : page.objects) {
        seen = true;
        if (!info.key.equals(prefix)) { // the directory's own marker is not an entry of it
          found.add(info.key.endsWith("/")
              ? dirStatus(bucket, info.key.substring(0, info.key.length() - 1))
              : fileStatus(bucket, info));
        }
      }
      for (String common : page.prefixes) {
        seen = true;
        found.add(dirStatus(bucket, common.substring(0, common.length() - 1)));
      }
      token = page.nextToken;
    } while (token != null);
    if (!seen) {
      S3RestClient.ObjectInfo file = client.head(bucket, key);
      if (file == null) {
        throw new FileNotFoundException("No such file or directory: " + qualify(path));
      }
      return new FileStatus[] {fileStatus(bucket, file)};
    }
    return found.toArray(new FileStatus[0]);
  }

  /** Every object under `prefix` (any depth), markers included. */
  private List<S3RestClient.ObjectInfo> listAll(String bucket, String prefix) throws IOException {
    List<S3RestClient.ObjectInfo> all = new ArrayList<>();
    String token = null;
    do {
      S3RestClient.ListPage page = client.list(bucket, prefix, null, token, LIST_PAGE);
      all.addAll(page.objects);
      token = page.nextToken;
    } while (token != null);
    return all;
  }

  // ---- reading and writing ----------------------------------------------------------------------

  @Override
  public FSDataInputStream open(Path path, int bufferSize) throws IOException {
    if (staged(path)) {
      return staging.local().open(localOf(path), bufferSize);
    }
    FileStatus status = getFileStatus(path);
    if (status.isDirectory()) {
      throw new FileNotFoundException("Can't open " + qualify(path) + " because it is a directory");
    }
    return new FSDataInputStream(new S3RestInputStream(client, bucketOf(path), keyOf(path), status.getLen()));
  }

  @Override
  public FSDataOutputStream create(Path path, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    String bucket = bucketOf(path);
    String key = keyOf(path);
    if (key.isEmpty()) {
      throw new FileAlreadyExistsException("Cannot create a file at the bucket's root: " + qualify(path));
    }
    if (staged(path)) {
      return staging.local().create(localOf(path), permission, overwrite, bufferSize, replication, blockSize,
          progress);
    }
    try {
      FileStatus existing = getFileStatus(path);
      if (existing.isDirectory()) {
        throw new FileAlreadyExistsException(qualify(path) + " is a directory");
      }
      if (!overwrite) {
        throw new FileAlreadyExistsException(qualify(path) + " already exists");
      }
    } catch (FileNotFoundException absent) {
      // the usual case
    }
    return new FSDataOutputStream(new S3RestOutputStream(client, bucket, key, partSize), statistics);
  }

  @Override
  public FSDataOutputStream createNonRecursive(Path path, FsPermission permission, boolean overwrite,
      int bufferSize, short replication, long blockSize, Progressable progress) throws IOException {
    return create(path, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream append(Path path, int bufferSize, Progressable progress) throws IOException {
    throw new UnsupportedOperationException("Append is not supported by S3RestFileSystem: " + qualify(path));
  }

  @Override
  public boolean mkdirs(Path path, FsPermission permission) throws IOException {
    if (staged(path)) {
      return staging.local().mkdirs(localOf(path), permission);
    }
    String bucket = bucketOf(path);
    String key = keyOf(path);
    if (key.isEmpty()) {
      return true;
    }
    for (Path p = qualify(path); p != null && !keyOf(p).isEmpty(); p = p.getParent()) {
      try {
        FileStatus status = getFileStatus(p);
        if (status.isFile()) {
          throw new FileAlreadyExistsException("Cannot create directory " + qualify(path) + ": " + p
              + " is a file");
        }
        if (p.equals(qualify(path))) {
          return true; // already a directory
        }
        break; // an existing directory above: nothing further up can be a file
      } catch (FileNotFoundException absent) {
        // keep walking up
      }
    }
    client.put(bucket, key + "/", new byte[0], 0);
    return true;
  }

  // ---- delete and rename ------------------------------------------------------------------------

  @Override
  public boolean delete(Path path, boolean recursive) throws IOException {
    if (staged(path)) {
      return staging.local().delete(localOf(path), recursive);
    }
    String bucket = bucketOf(path);
    String key = keyOf(path);
    if (recursive && !key.isEmpty()) {
      staging.local().delete(localOf(path), true); // pending output under it goes too
    }
    FileStatus status;
    try {
      status = getFileStatus(path);
    } catch (FileNotFoundException absent) {
      return false;
    }
    if (key.isEmpty()) {
      return false; // like S3A: the bucket's root is never deleted
    }
    if (status.isFile()) {
      client.delete(bucket, key);
      return true;
    }
    List<S3RestClient.ObjectInfo> under = listAll(bucket, key + "/");
    boolean onlyMarker = under.isEmpty() || (under.size() == 1 && under.get(0).key.equals(key + "/"));
    if (!onlyMarker && !recursive) {
      throw new PathIsNotEmptyDirectoryException(qualify(path).toString());
    }
    List<String> keys = new ArrayList<>();
    for (S3RestClient.ObjectInfo info : under) {
      keys.add(info.key);
    }
    if (keys.isEmpty()) {
      keys.add(key + "/");
    }
    deleteKeys(bucket, keys);
    return true;
  }

  private void deleteKeys(String bucket, List<String> keys) throws IOException {
    for (int start = 0; start < keys.size(); start += DELETE_BATCH) {
      List<String> batch = keys.subList(start, Math.min(keys.size(), start + DELETE_BATCH));
      if (batch.size() == 1) {
        client.delete(bucket, batch.get(0));
      } else {
        client.deleteMany(bucket, batch);
      }
    }
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    String srcBucket = bucketOf(src);
    String srcKey = keyOf(src);
    String dstBucket = bucketOf(dst);
    String dstKey = keyOf(dst);
    if (srcKey.isEmpty()) {
      return false; // the bucket's root cannot move
    }
    FileStatus source;
    try {
      source = getFileStatus(src);
    } catch (FileNotFoundException absent) {
      return false;
    }
    if (srcBucket.equals(dstBucket) && srcKey.equals(dstKey)) {
      return source.isFile();
    }
    if (source.isDirectory() && srcBucket.equals(dstBucket) && (dstKey + "/").startsWith(srcKey + "/")) {
      return false; // into itself
    }
    FileStatus target = null;
    try {
      target = getFileStatus(dst);
    } catch (FileNotFoundException absent) {
      Path parent = qualify(dst).getParent();
      if (parent != null && !keyOf(parent).isEmpty() && exists(parent) && getFileStatus(parent).isFile()) {
        return false; // a file cannot hold anything; a missing parent is implicit, as everywhere in S3
      }
    }
    if (target != null) {
      if (target.isFile()) {
        return false; // never onto an existing file
      }
      if (source.isFile()) {
        dstKey = dstKey.isEmpty() ? qualify(src).getName() : dstKey + "/" + qualify(src).getName();
        if (exists(pathOf(dstBucket, dstKey))) {
          return false;
        }
      } else if (listStatus(dst).length > 0) {
        return false; // a directory only onto an empty one
      }
    }
    Path from = qualify(src);
    Path to = pathOf(dstBucket, dstKey);
    boolean fromStaged = StagingArea.isStaged(srcKey);
    boolean toStaged = StagingArea.isStaged(dstKey);
    if (fromStaged && toStaged) { // a task commit inside the staging area: a local rename
      Path localTo = localOf(to);
      staging.local().mkdirs(localTo.getParent());
      if (target != null && target.isDirectory()) {
        staging.local().delete(localTo, false); // empty: checked above
      }
      return staging.local().rename(localOf(from), localTo);
    }
    if (fromStaged || toStaged) { // a job commit: upload out of the staging area (or the reverse)
      transfer(from, to, source);
      delete(from, true);
      return true;
    }
    if (source.isFile()) {
      client.copy(srcBucket, srcKey, dstBucket, dstKey);
      client.delete(srcBucket, srcKey);
      return true;
    }
    List<S3RestClient.ObjectInfo> under = listAll(srcBucket, srcKey + "/");
    String dstPrefix = dstKey.isEmpty() ? "" : dstKey + "/";
    List<String> copied = new ArrayList<>();
    for (S3RestClient.ObjectInfo info : under) {
      client.copy(srcBucket, info.key, dstBucket, dstPrefix + info.key.substring(srcKey.length() + 1));
      copied.add(info.key);
    }
    deleteKeys(srcBucket, copied);
    return true;
  }

  /** Copy a file, or a directory's whole tree, through streams (between staging and S3). */
  private void transfer(Path from, Path to, FileStatus status) throws IOException {
    if (status.isFile()) {
      try (FSDataInputStream in = open(from); FSDataOutputStream out = create(to, true)) {
        in.transferTo(out);
      }
      return;
    }
    FileStatus[] children = listStatus(from);
    if (children.length == 0) {
      mkdirs(to);
    }
    for (FileStatus child : children) {
      transfer(child.getPath(), new Path(to, child.getPath().getName()), child);
    }
  }
}
